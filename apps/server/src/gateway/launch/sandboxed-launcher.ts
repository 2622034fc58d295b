// Starts stdio MCP servers inside the run engine's sandbox provider (bubblewrap): one sandbox per process.
import { cpSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../logger.js";
import type { SandboxHandle, SandboxLimits, SandboxProvider } from "../../sandboxes/provider/index.js";
import { SandboxUnavailableError, WORKSPACE } from "../../sandboxes/provider/index.js";
import {
  type LaunchedStdio,
  PipeTransport,
  type StdioExit,
  type StdioLauncher,
  type StdioSpec,
} from "./launcher.js";
import { isPackageMount, launchMountProblem, unreadableBy } from "./mounts.js";
import { StderrTail } from "./stderr-tail.js";
import { SANDBOX_PATH } from "./visibility.js";

const STOP_GRACE_MS = 2_000;
// The command and its arguments only ever travel as positional values, never inside the script text. bash adds
// PWD, SHLVL and _ to what it runs; env drops them, so the server gets exactly its configured env (plus PATH and
// HOME).
const EXEC = 'exec /usr/bin/env -u PWD -u OLDPWD -u SHLVL -u _ -- "$@"';

export interface SandboxedLauncherOptions {
  provider: SandboxProvider;
  /** Host directory holding this process's sandbox roots (under the data dir). */
  root: string;
  limits: SandboxLimits;
  /** Host paths made visible read-only at the same path (where the operator installed MCP servers). */
  mounts: readonly string[];
  /** Never mounted (data dir, MOGPLEX_HOME): a connection's mounts are re-checked against them at launch. */
  privateDirs?: readonly string[];
  logger?: Logger;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * Each stdio server gets its own bubblewrap sandbox: no host files but the system directories and the
 * configured mounts (read-only), a private writable home at /workspace, no network, the sandbox's limits,
 * and exactly the server's configured environment. Shutdown follows the MCP stdio rules: close stdin, wait,
 * then kill; the sandbox (cgroup, directory) is removed once the process is gone.
 */
export class SandboxedStdioLauncher implements StdioLauncher {
  readonly confinement = "bwrap";
  private seq = 0;
  private swept = false;

  constructor(private readonly o: SandboxedLauncherOptions) {}

  /** The host uid its sandboxes run as (null or undefined when no sandbox works here). */
  async sandboxUid(): Promise<number | null | undefined> {
    const status = await this.o.provider.check();
    return status.ok ? status.hostUid : undefined;
  }

  async launch(spec: StdioSpec): Promise<LaunchedStdio> {
    const status = await this.o.provider.check();
    if (!status.ok) {
      throw new SandboxUnavailableError(
        `stdio MCP servers run only inside a sandbox, and none is available: ${status.reason ?? "unknown reason"}`,
      );
    }
    await this.sweep();
    // Checked at registration; checked again here, since the host may have changed since. bubblewrap's own
    // complaint about a mount would go nowhere (the provider drops what it prints), so it is said here.
    for (const m of spec.mounts ?? []) {
      const problem = launchMountProblem(m, this.o.privateDirs ?? []);
      if (problem) throw new Error(problem);
    }
    // Package folders (admin add-mcp-server --package) live in the data dir, which is never bound: each is copied
    // into this sandbox's own filesystem below and that copy bound read-only at the folder's path.
    const packages = (spec.mounts ?? []).filter((m) => isPackageMount(m, this.o.privateDirs ?? []));
    const mounts = [...new Set([...this.o.mounts, ...(spec.mounts ?? [])])].filter(
      (m) => !packages.includes(m),
    );
    const hostUid = status.hostUid;
    if (typeof hostUid === "number" && hostUid !== process.getuid?.()) {
      for (const m of mounts) {
        const problem = unreadableBy(m, hostUid);
        if (problem) throw new Error(`mount ${problem}`);
      }
    }
    const id = `mcp-${process.pid}-${++this.seq}`;
    const root = join(this.o.root, id);
    const handle = await this.o.provider.create({
      id,
      root,
      env: { PATH: SANDBOX_PATH, HOME: WORKSPACE, ...spec.env },
      limits: this.o.limits,
      roBinds: mounts.map((m) => ({ host: m, inside: m })),
      egressHosts: spec.egressHosts ?? [],
    });
    let destroyed: Promise<void> | undefined;
    const destroy = () => {
      destroyed ??= handle.destroy().catch(() => undefined);
      return destroyed;
    };
    try {
      // Before anything runs in the sandbox: its out dir has never been visible to sandboxed code.
      const roBinds = packages.map((m, i) => {
        const copy = join(handle.outDir, `package-${i}`);
        cpSync(m, copy, { recursive: true, verbatimSymlinks: true });
        return { host: copy, inside: m };
      });
      return await this.start(handle, spec, destroy, roBinds);
    } catch (err) {
      await destroy();
      throw err;
    }
  }

  private async start(
    handle: SandboxHandle,
    spec: StdioSpec,
    destroy: () => Promise<void>,
    roBinds: ReadonlyArray<{ host: string; inside: string }>,
  ): Promise<LaunchedStdio> {
    // The server's stderr (and bubblewrap's own complaints, e.g. a mount it can't bind): a bounded tail only.
    const tail = new StderrTail();
    const proc = await handle.open({
      script: EXEC,
      args: [spec.command, ...spec.args],
      onStderr: (chunk) => tail.push(chunk),
      roBinds,
    });
    let stopRequested = false;
    const ended = proc.exited.then(async ({ exitCode, signal }): Promise<StdioExit> => {
      const stopped = stopRequested;
      await destroy();
      return { code: exitCode, signal, stopped, stderr: tail.text() };
    });
    const exited = ended.then(() => undefined);
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopRequested = true;
      stopping ??= (async () => {
        proc.stdin.end();
        const timer = setTimeout(() => void proc.kill(), STOP_GRACE_MS);
        await proc.exited;
        clearTimeout(timer);
        await exited;
      })();
      return stopping;
    };
    const transport = new PipeTransport({ stdin: proc.stdin, stdout: proc.stdout, exited }, stop);
    return { transport, pid: proc.pid, stop, exited, ended };
  }

  /** Once per process: removes what an earlier, dead server process left behind (cgroups, directories). */
  private async sweep(): Promise<void> {
    if (this.swept) return;
    this.swept = true;
    let entries: string[] = [];
    try {
      entries = readdirSync(this.o.root);
    } catch {
      return;
    }
    for (const name of entries) {
      const pid = Number(/^mcp-(\d+)-\d+$/.exec(name)?.[1]);
      if (!pid || pid === process.pid || alive(pid)) continue;
      await this.o.provider.cleanup(name, join(this.o.root, name)).catch(() => undefined);
    }
  }
}
