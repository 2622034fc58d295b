// Starts stdio MCP servers: the StdioLauncher seam (the run engine's sandbox plugs in here) and a scrubbed-env launcher.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { StderrTail } from "./stderr-tail.js";

export interface StdioSpec {
  serverId: string;
  command: string;
  args: readonly string[];
  /** The server's configured (decrypted) env: the only variables it gets besides a minimal PATH and HOME. */
  env: Readonly<Record<string, string>>;
  /** Hosts the server may reach (through the sandbox's egress proxy); none = no network. */
  egressHosts?: readonly string[];
  /** This server's own read-only host paths in its sandbox (besides the operator's). */
  mounts?: readonly string[];
}

/** How a process ended, and what it last wrote to stderr (raw: redact before showing it anywhere). */
export interface StdioExit {
  code: number | null;
  signal: string | null;
  /** stop() was called before it exited: not a failure of the server. */
  stopped: boolean;
  stderr: string;
}

export interface LaunchedStdio {
  transport: Transport;
  pid: number | undefined;
  /** SIGTERM to the whole process group, SIGKILL after the grace period; resolves once it has exited. */
  stop(): Promise<void>;
  readonly exited: Promise<void>;
  /** Settles after `exited`, once the last of stderr has been read. */
  readonly ended: Promise<StdioExit>;
}

export interface StdioLauncher {
  /** What confines the process, for logs and docs: "scrubbed-env" now, a sandbox provider later. */
  readonly confinement: string;
  launch(spec: StdioSpec): Promise<LaunchedStdio>;
}

const STOP_GRACE_MS = 2_000;
// Just enough to find interpreters; the node binary's own directory so `node`/`npx` commands resolve.
const BASE_PATH = [...new Set([dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"])].join(":");

/** The pipes of a started process and a promise that settles when it is gone. */
export interface ProcessPipes {
  stdin: NodeJS.WritableStream & { destroyed?: boolean };
  stdout: NodeJS.ReadableStream;
  exited: Promise<unknown>;
}

/** SDK Transport over a process's stdin/stdout (newline-delimited JSON-RPC). */
export class PipeTransport implements Transport {
  private readonly buffer = new ReadBuffer();
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private closed = false;

  constructor(
    private readonly pipes: ProcessPipes,
    private readonly stopProcess: () => Promise<void>,
  ) {
    pipes.stdout.on("data", (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (;;) {
        let msg: JSONRPCMessage | null;
        try {
          msg = this.buffer.readMessage();
        } catch (err) {
          this.onerror?.(err as Error);
          continue;
        }
        if (msg === null) break;
        this.onmessage?.(msg);
      }
    });
    pipes.stdin.on("error", (err) => this.onerror?.(err));
    void pipes.exited.then(() => this.finish());
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer.clear();
    this.onclose?.();
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.pipes.stdin;
    if (this.closed || stdin.destroyed) throw new Error("stdio server is not running");
    await new Promise<void>((resolve, reject) => {
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once("drain", resolve).once("error", reject);
    });
  }

  async close(): Promise<void> {
    await this.stopProcess();
    this.finish();
  }
}

/**
 * Runs the command as a bare process with nothing of the server's own environment: env is exactly the
 * configured entries plus PATH and HOME, cwd and HOME are a fresh private directory, and it leads its own
 * process group so stop() reaches anything it spawned. This is NOT a sandbox (same uid, same filesystem,
 * same network) — the run engine's sandbox provider replaces it through this interface.
 */
export class ScrubbedEnvLauncher implements StdioLauncher {
  readonly confinement = "scrubbed-env";

  async launch(spec: StdioSpec): Promise<LaunchedStdio> {
    const home = mkdtempSync(join(tmpdir(), "mogplex-mcp-"));
    const env: Record<string, string> = { PATH: BASE_PATH, HOME: home, ...spec.env };
    const child = spawn(spec.command, [...spec.args], {
      cwd: home,
      env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
      windowsHide: true,
    });
    // stderr may carry anything the server prints, secrets included: only a bounded tail is kept, and it is
    // redacted before anything shows it.
    const tail = new StderrTail();
    child.stderr?.on("data", (d: Buffer) => tail.push(d));
    let stopRequested = false;
    let stoppedAtExit = false;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("close", () => resolve());
    }).finally(() => {
      stoppedAtExit = stopRequested;
      rmSync(home, { recursive: true, force: true });
    });
    const ended = exited.then(
      (): StdioExit => ({
        code: child.exitCode,
        signal: child.signalCode,
        stopped: stoppedAtExit,
        stderr: tail.text(),
      }),
    );

    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (err) =>
        reject(new Error(`could not start stdio server: ${(err as NodeJS.ErrnoException).code ?? "error"}`)),
      );
    });
    child.on("error", () => undefined);

    const signalGroup = (sig: NodeJS.Signals) => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        child.kill(sig);
      }
    };
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopRequested = true;
      stopping ??= (async () => {
        child.stdin?.end();
        signalGroup("SIGTERM");
        const timer = setTimeout(() => signalGroup("SIGKILL"), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
        // The leader is gone; make sure nothing it spawned outlives it (ESRCH when the group is empty).
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // nothing left
          }
        }
      })();
      return stopping;
    };
    const pipes = {
      stdin: child.stdin as NodeJS.WritableStream,
      stdout: child.stdout as NodeJS.ReadableStream,
      exited,
    };
    return { transport: new PipeTransport(pipes, stop), pid: child.pid, stop, exited, ended };
  }
}
