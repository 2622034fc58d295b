// Collecting one command's output with a wall-time limit, and killing its whole process tree on timeout or
// cancel (the child leads its own process group; bwrap's pid namespace takes everything inside with it).
import type { ChildProcess } from "node:child_process";

export interface CommandResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
}

export function killTree(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

export function collect(
  child: ChildProcess,
  o: { timeoutMs: number; signal: AbortSignal; maxOutputBytes?: number },
): Promise<CommandResult> {
  const max = o.maxOutputBytes ?? 1024 * 1024;
  const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const kept = { stdout: 0, stderr: 0 };
  const keep = (which: "stdout" | "stderr") => (d: Buffer) => {
    const room = max - kept[which];
    if (room <= 0) return;
    out[which].push(room >= d.length ? d : d.subarray(0, room));
    kept[which] += Math.min(room, d.length);
  };
  child.stdout?.on("data", keep("stdout"));
  child.stderr?.on("data", keep("stderr"));
  child.stdin?.on("error", () => undefined);
  child.stdin?.end();
  let timedOut = false;
  let aborted = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killTree(child);
  }, o.timeoutMs);
  const onAbort = () => {
    aborted = true;
    killTree(child);
  };
  if (o.signal.aborted) onAbort();
  else o.signal.addEventListener("abort", onAbort, { once: true });
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      o.signal.removeEventListener("abort", onAbort);
    };
    child.on("error", (err) => {
      done();
      reject(err);
    });
    child.on("close", (exitCode, signal) => {
      done();
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(out.stdout).toString("utf8"),
        stderr: Buffer.concat(out.stderr).toString("utf8"),
        timedOut,
        aborted,
      });
    });
  });
}
