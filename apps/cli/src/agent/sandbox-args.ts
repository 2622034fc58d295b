// The bubblewrap command line for one of the agent's commands: the host's system directories read-only (the run
// engine's list), the working folder read-write at its own path, a private /tmp, synthetic passwd/group, no
// network unless asked, nothing of the user's environment or home (so no credentials) and no capabilities.
import { IDMAP_VIEW, type IdmapTools, idmapPrefix } from "./idmap.js";

type Kit = typeof import("@mogplex/server/agent-kit");

export interface SandboxPlan {
  bwrap: string;
  seccomp: Buffer;
  setpriv: string | null;
  kit: Kit;
  cwd: string;
  network: boolean;
  /** Root only: the unprivileged host user to become (null: run bwrap as the current user). */
  hostIds: { uid: number; gid: number } | null;
  /** Folders under cwd hidden behind an empty tmpfs (MOGPLEX_HOME when it lies inside). */
  hideDirs: string[];
  /** Root in a folder root owns: bind an idmapped view of it and run as `uid` (idmap.ts). */
  idmap: { tools: IdmapTools; uid: number } | null;
}

/** Limits for the limiter script: no CPU cap (builds run long), 4096 processes, 1 GiB per file. */
const LIMITS = {
  processes: 4096,
  cpuSeconds: 0,
  memoryMb: 0,
  addressSpaceMb: 0,
  fileSizeMb: 1024,
  diskMb: 0,
};

const INSIDE_ENV: Record<string, string> = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/tmp",
  TERM: "dumb",
  LANG: "C.UTF-8",
  CI: "true",
};

/**
 * What every agent-side sandbox starts with: all namespaces new (the network shared only when asked), an
 * unprivileged uid with no capabilities and no nested user namespaces, gone with its parent, and the engine's
 * read-only system directories.
 */
export function isolationOptions(kit: Kit, hostname: string, network: boolean): string[] {
  const uid = String(kit.SANDBOX_UID);
  return [
    ...["--unshare-all", "--unshare-user", "--disable-userns", "--uid", uid, "--gid", uid],
    ...["--cap-drop", "ALL", "--hostname", hostname, "--die-with-parent", "--new-session"],
    ...(network ? ["--share-net"] : []),
    ...kit.systemBinds(),
  ];
}

export function sandboxArgv(p: SandboxPlan, command: string): { argv: string[]; fds: [number, Buffer][] } {
  const { kit } = p;
  const uid = kit.SANDBOX_UID;
  const options = [
    ...isolationOptions(kit, "mogplex-sandbox", p.network),
    "--ro-bind-try",
    "/opt",
    "/opt",
    ...(p.network
      ? ["--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf", "--ro-bind-try", "/etc/hosts", "/etc/hosts"]
      : ["--perms", "0444", "--file", String(kit.FD.hosts), "/etc/hosts"]),
    "--perms",
    "0444",
    "--file",
    String(kit.FD.passwd),
    "/etc/passwd",
    "--perms",
    "0444",
    "--file",
    String(kit.FD.group),
    "/etc/group",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--tmpfs",
    "/tmp",
    "--bind",
    p.idmap ? IDMAP_VIEW : p.cwd,
    p.cwd,
    ...p.hideDirs.flatMap((d) => ["--tmpfs", d]),
    "--remount-ro",
    "/",
    "--chdir",
    p.cwd,
    "--clearenv",
    "--seccomp",
    String(kit.FD.seccomp),
  ];
  for (const [k, v] of Object.entries(INSIDE_ENV)) options.push("--setenv", k, v);
  const fds: [number, Buffer][] = [
    [3, Buffer.from(`${options.join("\0")}\0`)],
    [kit.FD.seccomp, p.seccomp],
    [
      kit.FD.passwd,
      Buffer.from(`root:x:0:0::/nonexistent:/usr/sbin/nologin\nuser:x:${uid}:${uid}::/tmp:/bin/bash\n`),
    ],
    [kit.FD.group, Buffer.from(`root:x:0:\nuser:x:${uid}:\n`)],
    [kit.FD.hosts, Buffer.from("127.0.0.1 localhost mogplex-sandbox\n::1 localhost\n")],
  ];
  const im = p.idmap;
  const prefix =
    im && p.setpriv
      ? [
          ...idmapPrefix(im.tools, p.cwd, im.uid),
          ...kit.setprivPrefix(p.setpriv, { uid: im.uid, gid: im.uid }),
        ]
      : p.hostIds && p.setpriv
        ? kit.setprivPrefix(p.setpriv, p.hostIds)
        : [];
  const argv = [...prefix, p.bwrap, "--args", "3", "--", ...kit.limitedCommand(LIMITS, command, [])];
  return { argv, fds };
}
