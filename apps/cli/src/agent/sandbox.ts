// Where the agent's run_command runs: a bubblewrap sandbox over the working folder (the default where bwrap
// works), or the host with --no-sandbox. The sandbox reuses the run engine's building blocks (system binds,
// limiter, seccomp filter, the switch to an unprivileged host user); see sandbox-args.ts for what is visible.
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import type { Env } from "../config/env.js";
import { ALL_PROVIDERS } from "../credentials/providers.js";
import { type SandboxPlan, sandboxArgv } from "./sandbox-args.js";
import { type CommandResult, collect } from "./sandbox-process.js";

export type { CommandResult };

export interface CommandRunner {
  readonly sandboxed: boolean;
  readonly network: boolean;
  /** One line for people: how commands run. */
  readonly description: string;
  run(command: string, o: RunOptions): Promise<CommandResult>;
}

type RunOptions = { timeoutMs: number; signal: AbortSignal; maxOutputBytes?: number };

/** Variables a command on the host never inherits: Mogplex and provider credentials. */
export function hostEnv(env: Env): Record<string, string> {
  const drop = new Set(ALL_PROVIDERS.map((p) => p.envVar));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || drop.has(k) || k.startsWith("MOGPLEX_")) continue;
    out[k] = v;
  }
  return out;
}

export class SandboxUnavailable extends Error {}

const exitCleanups = new Set<() => void>();
let exitHooked = false;

/** Runs `fn` when the process exits unless the returned function ran it first (one listener for all). */
export function atExit(fn: () => void): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.once("exit", () => {
      for (const f of exitCleanups) f();
    });
  }
  const once = () => {
    if (exitCleanups.delete(once)) fn();
  };
  exitCleanups.add(once);
  return once;
}

const PYTHON = "/usr/bin/python3";

export type Probed = Omit<SandboxPlan, "cwd" | "network" | "hostIds" | "hideDirs" | "idmap"> & {
  unshare: string | null;
};
let probed: Promise<Probed | string> | undefined;

/** Finds bwrap, setpriv and the seccomp filter once per process; a string says why the sandbox can't run. */
export function probeSandbox(path: string) {
  probed ??= (async () => {
    const kit = await import("@mogplex/server/agent-kit");
    const which = (bin: string) => path.split(":").find((d) => d && isExecutable(`${d}/${bin}`));
    const dir = which("bwrap");
    if (process.platform !== "linux" || !dir) return "bubblewrap (bwrap) was not found on PATH";
    let seccomp: Buffer;
    try {
      seccomp = (await kit.compileSeccomp()).bpf;
    } catch (err) {
      return (err as Error).message;
    }
    const system = (bin: string) => {
      const d = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"].find((x) => isExecutable(`${x}/${bin}`));
      return d ? `${d}/${bin}` : null;
    };
    return { bwrap: `${dir}/bwrap`, seccomp, setpriv: system("setpriv"), unshare: system("unshare"), kit };
  })();
  return probed;
}

function isExecutable(p: string): boolean {
  try {
    return (statSync(p).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Who sandboxed commands run as on the host. Not root: as itself. Root: never as host root — in a folder another
 * user owns, as that owner (the files stay theirs); in a folder root owns, as the unprivileged sandbox user over
 * an idmapped view of the folder (idmap.ts), so it can write there while what it writes stays root's on disk.
 */
function rootPlan(cwd: string, found: Probed): Pick<SandboxPlan, "hostIds" | "idmap"> {
  if (process.getuid?.() !== 0) return { hostIds: null, idmap: null };
  if (!found.setpriv) throw new SandboxUnavailable("running as root, the sandbox needs setpriv (util-linux)");
  const st = statSync(cwd);
  if (st.uid !== 0) return { hostIds: { uid: st.uid, gid: st.gid }, idmap: null };
  if (!found.unshare)
    throw new SandboxUnavailable(
      "running as root in a folder root owns, the sandbox needs unshare (util-linux)",
    );
  return {
    hostIds: null,
    idmap: { tools: { unshare: found.unshare, python: PYTHON }, uid: found.kit.DEFAULT_SANDBOX_HOST_ID },
  };
}

export async function createRunner(o: {
  cwd: string;
  sandbox: boolean;
  network: boolean;
  env: Env;
  /** Folders inside the working folder to hide from commands (e.g. MOGPLEX_HOME). */
  hide: string[];
}): Promise<CommandRunner> {
  if (!o.sandbox) {
    const env = hostEnv(o.env);
    return {
      sandboxed: false,
      network: true,
      description: `on this machine (no sandbox) in ${o.cwd}`,
      run: (command, r) =>
        collect(
          spawn("/bin/bash", ["-c", command], {
            cwd: o.cwd,
            env,
            detached: true,
            stdio: ["pipe", "pipe", "pipe"],
          }),
          r,
        ),
    };
  }
  const found = await probeSandbox(o.env.PATH ?? "/usr/bin:/bin");
  if (typeof found === "string") {
    throw new SandboxUnavailable(
      `the command sandbox is unavailable (${found}); install bubblewrap, or rerun with --no-sandbox to run commands on this machine`,
    );
  }
  const root = rootPlan(o.cwd, found);
  const plan: SandboxPlan = { ...found, cwd: o.cwd, network: o.network, hideDirs: o.hide, ...root };
  const run = (command: string, r: RunOptions) => {
    const { argv, fds } = sandboxArgv(plan, command);
    const [cmd, ...rest] = argv;
    const child = spawn(cmd as string, rest, {
      env: {},
      cwd: "/",
      detached: true,
      stdio: ["pipe", "pipe", "pipe", "pipe", "pipe", "pipe", "pipe", "pipe", "pipe"],
    });
    for (const [fd, data] of fds) {
      const pipe = child.stdio[fd] as NodeJS.WritableStream | null;
      pipe?.on("error", () => undefined);
      pipe?.end(data);
    }
    (child.stdio[4] as NodeJS.ReadableStream | null)?.on("error", () => undefined);
    return collect(child, r);
  };
  // A real sandboxed `true`, started exactly as commands will be: user namespaces allowed, filter loads, the
  // working folder mounts (an idmapped view needs a filesystem that supports it).
  const check = await run("true", { timeoutMs: 60_000, signal: new AbortController().signal });
  if (check.exitCode !== 0) {
    throw new SandboxUnavailable(
      `the command sandbox cannot start here (${check.stderr.trim().slice(0, 300) || `exit ${check.exitCode}`}); rerun with --no-sandbox to run commands on this machine`,
    );
  }
  return {
    sandboxed: true,
    network: o.network,
    description: `in a bubblewrap sandbox over ${o.cwd} (${o.network ? "network allowed" : "no network"})`,
    run,
  };
}
