// The registry's scanner: each release is judged by judge.ts inside a fresh sandbox of the run engine's provider
// (no network, CPU/memory/time caps), and the host only ever parses the one line of JSON it prints.
import { createHash, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { constants } from "node:os";
import { join } from "node:path";
import { DEFAULT_LIMITS } from "@mogplex/pkgfmt";
import { unreadableBy } from "../../gateway/launch/mounts.js";
import { SANDBOX_PATH } from "../../gateway/launch/visibility.js";
import type { Logger } from "../../logger.js";
import type { SandboxLimits, SandboxProvider } from "../../sandboxes/provider/index.js";
import { SandboxUnavailableError } from "../../sandboxes/provider/index.js";
import { redactSecretValues } from "../../sanitize/secrets.js";
import { DEFAULT_PROGRAM, type ScanBinds, ScanSetupError, scanBinds } from "./binds.js";
import { parseScanOutput } from "./outcome.js";
import type { ReleaseScanner, ScanOutcome } from "./types.js";

/**
 * Caps for one scan's sandbox: enough for node and a 50 MiB archive of 20 MiB files (about 250 MB resident),
 * little to spare. Memory: a root server's cgroup enforces memoryMb; elsewhere RLIMIT_AS (node needs address
 * space well beyond what it uses, about 2 GiB for that archive) and V8's heap cap (half of memoryMb) bound it.
 */
export const DEFAULT_SCAN_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  processes: 64,
  cpuSeconds: 60,
  memoryMb: 1024,
  addressSpaceMb: 4096,
  fileSizeMb: 16,
  diskMb: 64,
});
export const DEFAULT_SCAN_TIMEOUT_MS = 120_000;
/** stdout kept: the outcome lists at most 5,000 files. */
const MAX_OUTPUT = 16 * 1024 * 1024;
const STDERR_LOGGED = 2_000;

export interface SandboxScannerOptions {
  provider: SandboxProvider;
  /** Host directory holding each scan's sandbox root (under the data dir; 0700 is fine). */
  rootDir: string;
  limits?: Partial<SandboxLimits>;
  /** Wall time for one scan, sandbox start included; past it the scan is killed and `scan` throws. */
  timeoutMs?: number;
  /** The server's own directories (data dir, MOGPLEX_HOME): never bound into a scan sandbox. */
  privateDirs?: readonly string[];
  logger?: Logger;
  /** The in-sandbox program (default: the built sandbox-main.js); tests swap in a misbehaving one. */
  program?: string;
}

/** The scan could not run or did not finish (sandbox missing, timed out, crashed, printed nonsense). */
export class ScanError extends Error {
  override readonly name = "ScanError";
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** bwrap reports a command killed by signal n as exit 128+n. */
function howItEnded(code: number | null, signal: string | null): string {
  const name =
    signal ??
    (code !== null && code > 128
      ? (Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0] ?? `signal ${code - 128}`)
      : null);
  return name ? `was killed (${name}: CPU, memory or process limit?)` : `exited ${code}`;
}

export function createSandboxScanner(o: SandboxScannerOptions): ReleaseScanner {
  return new SandboxScanner(o);
}

class SandboxScanner implements ReleaseScanner {
  private swept = false;
  private binds: ScanBinds | undefined;
  private readonly limits: SandboxLimits;

  constructor(private readonly o: SandboxScannerOptions) {
    this.limits = { ...DEFAULT_SCAN_LIMITS, ...o.limits };
  }

  async scan(archivePath: string, opts: { signal?: AbortSignal } = {}): Promise<ScanOutcome> {
    // Too big is decided from the size alone: nothing is read, nothing is started.
    const size = (await stat(archivePath)).size;
    if (size > DEFAULT_LIMITS.maxArchiveBytes)
      return { status: "failed", reason: "size", code: "ARCHIVE_TOO_LARGE" };
    const archive = await readFile(archivePath);
    const binds = await this.prepare();
    await this.sweep();
    const cancelled = () => new ScanError("the scan was cancelled");
    if (opts.signal?.aborted) throw cancelled();
    // The pid lets a later process sweep what a dead one left; the random part keeps two scanners in one
    // process (or replicas sharing a data dir) from naming the same sandbox folder and cgroup.
    const id = `scan-${process.pid}-${randomBytes(6).toString("hex")}`;
    const started = Date.now();
    const handle = await this.o.provider.create({
      id,
      root: join(this.o.rootDir, id),
      env: { PATH: SANDBOX_PATH, HOME: "/tmp" },
      limits: this.limits,
      // No egress proxy, so the sandbox's network namespace holds only its own loopback.
      egressHosts: [],
      roBinds: binds.paths.map((p) => ({ host: p, inside: p })),
    });
    let result: Awaited<ReturnType<typeof handle.exec>>;
    try {
      // The archive travels on stdin: the sandbox never sees a host path to it (a root server's data dir is
      // 0700, out of the sandbox user's reach), and its copy is the only one it could touch.
      result = await handle.exec({
        script: 'exec "$@"',
        args: [binds.node, ...this.nodeFlags(), binds.program],
        cwd: "/tmp",
        stdin: archive,
        timeoutMs: Math.max(1, (this.o.timeoutMs ?? DEFAULT_SCAN_TIMEOUT_MS) - (Date.now() - started)),
        maxOutputBytes: MAX_OUTPUT,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      // Cancelled while the sandbox was being made: the provider refuses to start.
      throw opts.signal?.aborted ? cancelled() : err;
    } finally {
      await handle.destroy().catch(() => undefined);
    }
    const ms = Date.now() - started;
    const fail = (message: string): never => {
      const tail = result.stderr.slice(-STDERR_LOGGED);
      this.o.logger?.warn({ scan: id, ms, stderr: redactSecretValues(tail) }, `registry scan: ${message}`);
      throw new ScanError(message);
    };
    if (result.timedOut)
      fail(`the scan did not finish within ${this.o.timeoutMs ?? DEFAULT_SCAN_TIMEOUT_MS} ms`);
    if (result.aborted) fail(cancelled().message);
    if (result.exitCode !== 0) fail(`the scan sandbox ${howItEnded(result.exitCode, result.signal)}`);
    if (result.droppedBytes.stdout > 0) fail("the scan sandbox printed more than an outcome can hold");
    let outcome: ScanOutcome;
    try {
      outcome = parseScanOutput(result.stdout);
    } catch (err) {
      return fail((err as Error).message);
    }
    if (outcome.status === "passed" && outcome.archiveSha256 !== sha256(archive))
      fail("the scan sandbox reports other archive bytes than it was given");
    const code = outcome.status === "passed" ? undefined : outcome.code;
    this.o.logger?.info(
      { scan: id, ms, status: outcome.status, reason: outcome.reason, code },
      "registry scan finished",
    );
    return outcome;
  }

  private nodeFlags(): string[] {
    // V8's heap gets half the memory cap; archive and file buffers live outside it.
    const heap = Math.max(64, Math.floor(this.limits.memoryMb / 2));
    return [
      `--max-old-space-size=${heap}`,
      "--disallow-code-generation-from-strings",
      "--disable-proto=throw",
    ];
  }

  /** Once: the binds, checked against the private dirs and readable by the sandbox's host user. */
  private async prepare(): Promise<ScanBinds> {
    const status = await this.o.provider.check();
    if (!status.ok) {
      throw new SandboxUnavailableError(
        `registry scans run only inside a sandbox, and none is available: ${status.reason ?? "unknown reason"}`,
      );
    }
    if (this.binds) return this.binds;
    const binds = scanBinds(this.o.program ?? DEFAULT_PROGRAM, this.o.privateDirs ?? []);
    const uid = status.hostUid;
    if (typeof uid === "number" && uid !== process.getuid?.()) {
      for (const p of binds.paths) {
        const problem = unreadableBy(p, uid);
        if (problem) throw new ScanSetupError(problem);
      }
    }
    this.binds = binds;
    return binds;
  }

  /** Once per process: removes what a dead server process left of its scan sandboxes. */
  private async sweep(): Promise<void> {
    if (this.swept) return;
    this.swept = true;
    let entries: string[] = [];
    try {
      entries = readdirSync(this.o.rootDir);
    } catch {
      return;
    }
    for (const name of entries) {
      const pid = Number(/^scan-(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
      if (!pid || pid === process.pid || alive(pid)) continue;
      await this.o.provider.cleanup(name, join(this.o.rootDir, name)).catch(() => undefined);
    }
  }
}
