// Starts stdio MCP servers inside the run engine's sandbox provider (bubblewrap): one sandbox per process.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../logger.js";
import type { SandboxHandle, SandboxLimits, SandboxProvider } from "../sandboxes/provider/index.js";
import { SandboxUnavailableError, WORKSPACE } from "../sandboxes/provider/index.js";
import { type LaunchedStdio, PipeTransport, type StdioLauncher, type StdioSpec } from "./launcher.js";

const STOP_GRACE_MS = 2_000;
/** PATH inside: system directories only (read-only binds); operators add install dirs via mounts. */
const SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin";

export interface SandboxedLauncherOptions {
  provider: SandboxProvider;
  /** Host directory holding this process's sandbox roots (under the data dir). */
  root: string;
  limits: SandboxLimits;
  /** Host paths made visible read-only at the same path (where the operator installed MCP servers). */
  mounts: readonly string[];
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

  async launch(spec: StdioSpec): Promise<LaunchedStdio> {
    const status = await this.o.provider.check();
    if (!status.ok) {
      throw new SandboxUnavailableError(
        `stdio MCP servers run only inside a sandbox, and none is available: ${status.reason ?? "unknown reason"}`,
      );
    }
    await this.sweep();
    const id = `mcp-${process.pid}-${++this.seq}`;
    const handle = await this.o.provider.create({
      id,
      root: join(this.o.root, id),
      env: { PATH: SANDBOX_PATH, HOME: WORKSPACE, ...spec.env },
      limits: this.o.limits,
      roBinds: this.o.mounts.map((m) => ({ host: m, inside: m })),
      egressHosts: spec.egressHosts ?? [],
    });
    let destroyed: Promise<void> | undefined;
    const destroy = () => {
      destroyed ??= handle.destroy().catch(() => undefined);
      return destroyed;
    };
    try {
      return await this.start(handle, spec, destroy);
    } catch (err) {
      await destroy();
      throw err;
    }
  }

  private async start(
    handle: SandboxHandle,
    spec: StdioSpec,
    destroy: () => Promise<void>,
  ): Promise<LaunchedStdio> {
    // The command and its arguments only ever travel as positional values, never inside the script text.
    // bash adds PWD, SHLVL and _ to what it runs; env drops them, so the server gets exactly its configured
    // env (plus PATH and HOME).
    const proc = await handle.open({
      script: 'exec /usr/bin/env -u PWD -u OLDPWD -u SHLVL -u _ -- "$@"',
      args: [spec.command, ...spec.args],
    });
    const exited = proc.exited.then(async ({ exitCode }) => {
      if (exitCode === 127) {
        this.o.logger?.warn(
          {
            serverId: spec.serverId,
            hint: "install it under /usr or add its directory to MOGPLEX_MCP_STDIO_MOUNTS",
          },
          "stdio MCP server command not found inside its sandbox",
        );
      }
      await destroy();
    });
    let stopping: Promise<void> | undefined;
    const stop = () => {
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
    return { transport, pid: proc.pid, stop, exited };
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
