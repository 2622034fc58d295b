// The sandbox provider seam: what the run engine asks of an isolated runtime, whatever implements it.
import type { Socket } from "node:net";
import type { SandboxLimits } from "../../config/engine.js";

export type { SandboxLimits };

/** Inside every sandbox the repo checkout is here, and only here is writable (besides a private /tmp). */
export const WORKSPACE = "/workspace";

export interface SandboxSpec {
  /** Sandbox record id; names the host directory and the cgroup. */
  id: string;
  /** Host directory owned by this sandbox: workspace/, tmp/, etc/ and host-only files live under it. */
  root: string;
  /** The complete environment the sandboxed processes see (nothing of the server's is added). */
  env: Readonly<Record<string, string>>;
  limits: SandboxLimits;
  /** Host names (or `*.suffix`) reachable through the egress proxy; empty = no network at all. */
  egressHosts?: readonly string[];
  /** Extra host paths visible read-only at the same path inside (e.g. where an MCP server is installed). */
  roBinds?: ReadonlyArray<{ host: string; inside: string }>;
}

export interface ExecRequest {
  /** Run through `bash -c` (or `sh -c` where bash is missing). */
  script: string;
  /** Positional parameters for the script ($1, $2, …); never interpolated into the script text. */
  args?: readonly string[];
  /** Directory inside the sandbox; defaults to the workspace. */
  cwd?: string;
  stdin?: string | Buffer;
  /** Wall-time limit: the whole process tree is killed when it passes. */
  timeoutMs: number;
  /** Bytes kept per stream; the rest is counted and dropped. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
  /** Extra host directories bound read-write for this call only (e.g. an output drop for the engine). */
  extraBinds?: ReadonlyArray<{ host: string; inside: string }>;
}

export interface ExecResult {
  exitCode: number | null;
  /** Set when the process ended by a signal (a kill on timeout or cancel is SIGKILL). */
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Bytes dropped beyond maxOutputBytes, per stream. */
  droppedBytes: { stdout: number; stderr: number };
  timedOut: boolean;
  /** Killed by an abort (cancel, stop) rather than finishing. */
  aborted: boolean;
  durationMs: number;
}

/** A long-lived process in the sandbox with its stdin/stdout open (e.g. a stdio MCP server). */
export interface OpenRequest {
  script: string;
  args?: readonly string[];
  cwd?: string;
  /**
   * Receives what the process (and bubblewrap itself, before it) writes to stderr; without it stderr is drained
   * and dropped. It may carry secrets: the receiver keeps a bounded tail and redacts before showing it.
   */
  onStderr?: (chunk: Buffer) => void;
  /**
   * A TCP port the process will listen on (on the invocation's own loopback) that the host may reach: the
   * returned process then has `connectPort()`. The sandbox's network stays closed (see port-bridge.ts).
   */
  exposePort?: number;
  /** Extra host paths bound read-only for this process only (e.g. an MCP package copied into the sandbox). */
  roBinds?: ReadonlyArray<{ host: string; inside: string }>;
}

export interface SandboxProcess {
  readonly pid: number | undefined;
  readonly stdin: NodeJS.WritableStream;
  readonly stdout: NodeJS.ReadableStream;
  /** Resolves once the process (and with it everything it started in the sandbox) is gone. */
  readonly exited: Promise<{ exitCode: number | null; signal: string | null }>;
  /** SIGKILL to the whole invocation; resolves once it has exited. */
  kill(): Promise<void>;
  /** With `exposePort`: a new host-side connection to that port (rejects while nothing listens there). */
  connectPort?: () => Promise<Socket>;
}

export interface SandboxHandle {
  readonly id: string;
  /** Host path of the workspace (only the engine's host-side git setup touches it, before any sandboxed code). */
  readonly workspace: string;
  /** Host path of a directory writable from inside, for `extraBinds` (e.g. where the result bundle is written). */
  readonly outDir: string;
  exec(req: ExecRequest): Promise<ExecResult>;
  /** Starts a process that keeps running; stderr goes to `onStderr`, else is drained and dropped. */
  open(req: OpenRequest): Promise<SandboxProcess>;
  /** Host process ids of this sandbox's running invocations (their bwrap processes). */
  pids(): number[];
  /** Kills every process of the sandbox and waits until they are gone; later execs are refused. */
  kill(): Promise<void>;
  /** kill() and then removes the sandbox's host directory. */
  destroy(): Promise<void>;
}

export interface ProviderStatus {
  ok: boolean;
  /** When not ok: one actionable sentence for operators and run errors. */
  reason?: string;
  /** How the process-count limit is enforced: per-user rlimit in the sandbox's user namespace, or a cgroup. */
  processLimit?: "rlimit" | "cgroup";
  /**
   * How the total disk use is capped: a size-capped ext4 filesystem per sandbox (root servers), or a size-capped
   * tmpfs per sandbox, which is memory (servers that are not root). See docs/security.md.
   */
  diskLimit?: "filesystem" | "memory";
  /** The host uid sandboxed processes run as (never 0). */
  hostUid?: number | null;
  version?: string;
}

export interface SandboxProvider {
  readonly name: string;
  /** Probes the machine once (cached): is the isolation real here? */
  check(): Promise<ProviderStatus>;
  /** Prepares the sandbox's directories; the caller fills the workspace, then runs commands in it. */
  create(spec: SandboxSpec): Promise<SandboxHandle>;
  /** Removes what a dead worker left of a sandbox (processes in its cgroup, its directory). */
  cleanup(id: string, root: string): Promise<void>;
}

export class SandboxUnavailableError extends Error {
  override readonly name = "SandboxUnavailableError";
}
