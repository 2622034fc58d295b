// How a synced stdio MCP server is started on this machine: its command comes from the team's config (an admin
// wrote it), so unless --no-sandbox it runs in bubblewrap like the agent's commands — system directories and
// the config's mounts read-only, a private /tmp as HOME, the network allowed (servers usually need it), never
// the working folder, the user's home or MOGPLEX_HOME, no capabilities, the seccomp filter, and as root an
// unprivileged host uid. Its configured env reaches it through bwrap's own environment, never argv.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { McpServerConfig } from "@mogplex/contract";
import type { Env } from "../config/env.js";
import { atExit, probeSandbox, SandboxUnavailable } from "./sandbox.js";
import { isolationOptions } from "./sandbox-args.js";

export interface StdioLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Removes the launch files (the options, filter and identity files). */
  cleanup(): void;
}

// Opens bwrap's option file and the filter/identity files on the fds the options name, then execs the rest.
const OPEN_FDS = 'exec 3<"$1" 5<"$2" 6<"$3" 7<"$4"; shift 4; exec "$@"';

export function hostLaunch(c: McpServerConfig, env: Env): StdioLaunch {
  return {
    command: c.command ?? "",
    args: c.args,
    env: { PATH: env.PATH ?? "/usr/bin:/bin", HOME: env.HOME ?? "/", ...c.env },
    cleanup: () => undefined,
  };
}

export async function sandboxedLaunch(c: McpServerConfig, env: Env): Promise<StdioLaunch> {
  const found = await probeSandbox(env.PATH ?? "/usr/bin:/bin");
  if (typeof found === "string") {
    throw new SandboxUnavailable(
      `the sandbox for stdio MCP servers is unavailable (${found}); rerun with --no-sandbox`,
    );
  }
  const { kit } = found;
  const root = process.getuid?.() === 0;
  if (root && !found.setpriv)
    throw new SandboxUnavailable("running as root, the sandbox needs setpriv (util-linux)");
  const uid = kit.SANDBOX_UID;
  const options = [
    ...isolationOptions(kit, "mogplex-mcp", true),
    ...["/opt", "/etc/resolv.conf", "/etc/hosts"].flatMap((p) => ["--ro-bind-try", p, p]),
    ...["--perms", "0444", "--file", String(kit.FD.passwd), "/etc/passwd"],
    ...["--perms", "0444", "--file", String(kit.FD.group), "/etc/group"],
    ...["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"],
    // After the private /tmp, so a mount under the host's /tmp is not hidden by it.
    ...c.mounts.filter((m) => isAbsolute(m)).flatMap((m) => ["--ro-bind-try", m, m]),
    ...["--remount-ro", "/", "--chdir", "/tmp", "--seccomp", String(kit.FD.seccomp)],
  ];
  const dir = mkdtempSync(join(tmpdir(), "mogplex-mcp-"));
  const file = (name: string, data: string | Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, data, { mode: 0o600 });
    return p;
  };
  const files = [
    file("options", `${options.join("\0")}\0`),
    file("seccomp", found.seccomp),
    file("passwd", `root:x:0:0::/nonexistent:/usr/sbin/nologin\nuser:x:${uid}:${uid}::/tmp:/bin/bash\n`),
    file("group", `root:x:0:\nuser:x:${uid}:\n`),
  ];
  const cleanup = atExit(() => rmSync(dir, { recursive: true, force: true }));
  const ids = { uid: kit.DEFAULT_SANDBOX_HOST_ID, gid: kit.DEFAULT_SANDBOX_HOST_ID };
  const prefix = root && found.setpriv ? kit.setprivPrefix(found.setpriv, ids) : [];
  return {
    command: "/bin/sh",
    args: [
      "-c",
      OPEN_FDS,
      "mogplex-mcp",
      ...files,
      ...prefix,
      found.bwrap,
      "--args",
      "3",
      "--",
      c.command ?? "",
      ...c.args,
    ],
    env: { PATH: env.PATH ?? "/usr/bin:/bin", HOME: "/tmp", ...c.env },
    cleanup,
  };
}
