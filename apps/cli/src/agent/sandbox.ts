// Where the agent's run_command runs: a bubblewrap sandbox over the working folder (the default where bwrap
// works), or the host with --no-sandbox. The sandbox reuses the run engine's building blocks (system binds,
// limiter, seccomp filter, the switch to an unprivileged host user); see sandbox-args.ts for what is visible.
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import type { Env } from "../config/env.js";
import { ALL_PROVIDERS } from "../credentials/providers.js";
import { type SandboxPlan, sandboxArgv } from "./sandbox-args.js";
import { type CommandResult, collect, killTree } from "./sandbox-process.js";

export type { CommandResult };

export interface CommandRunner {
  readonly sandboxed: boolean;
  readonly network: boolean;
  /** One line for people: how commands run. */
  readonly description: string;
  run(
    command: string,
    o: { timeoutMs: number; signal: AbortSignal; maxOutputBytes?: number },
  ): Promise<CommandResult>;
}

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

let probed: Promise<Omit<SandboxPlan, "cwd" | "network" | "hostIds" | "hideDirs"> | string> | undefined;

/** Finds bwrap, setpriv and the seccomp filter once per process; a string says why the sandbox can't run. */
function probe(path: string) {
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
    const setprivDir = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"].find((d) => isExecutable(`${d}/setpriv`));
    return { bwrap: `${dir}/bwrap`, seccomp, setpriv: setprivDir ? `${setprivDir}/setpriv` : null, kit };
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
 * The host user sandboxed commands run as. Not root: as itself. Root: the owner of the working folder when that
 * is not root (so root inside is never host root and the files stay the owner's); a folder root owns can only be
 * written by host root, so then bwrap runs as root in a user namespace, all capabilities dropped.
 */
function hostIdsFor(cwd: string): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const st = statSync(cwd);
  return st.uid === 0 ? null : { uid: st.uid, gid: st.gid };
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
  const found = await probe(o.env.PATH ?? "/usr/bin:/bin");
  if (typeof found === "string") {
    throw new SandboxUnavailable(
      `the command sandbox is unavailable (${found}); install bubblewrap, or rerun with --no-sandbox to run commands on this machine`,
    );
  }
  const hostIds = hostIdsFor(o.cwd);
  if (hostIds && !found.setpriv) {
    throw new SandboxUnavailable(
      "running as root needs setpriv (util-linux) to start the sandbox unprivileged",
    );
  }
  const plan: SandboxPlan = { ...found, cwd: o.cwd, network: o.network, hostIds, hideDirs: o.hide };
  return {
    sandboxed: true,
    network: o.network,
    description: `in a bubblewrap sandbox over ${o.cwd} (${o.network ? "network allowed" : "no network"})`,
    run: (command, r) => {
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
    },
  };
}

export { killTree };
