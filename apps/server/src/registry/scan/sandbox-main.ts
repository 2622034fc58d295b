// The scan sandbox's program (run by node from the built dist, bound read-only): the archive arrives on stdin,
// the verdict leaves as ONE JSON line on stdout. Nothing else is ever written to stdout; on a fault of its own it
// writes a redacted reason to stderr and exits non-zero, and the host records the scan as not run.
import { DEFAULT_LIMITS } from "@mogplex/pkgfmt";
import { redactSecretValues } from "../../sanitize/secrets.js";
import { judgePackage } from "./judge.js";
import type { ScanOutcome } from "./types.js";

/** stdin, up to one byte past the archive limit (more than that is refused without reading the rest). */
async function readInput(max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > max) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function main(): Promise<void> {
  const archive = await readInput(DEFAULT_LIMITS.maxArchiveBytes);
  const outcome: ScanOutcome =
    archive === null
      ? { status: "failed", reason: "size", code: "ARCHIVE_TOO_LARGE" }
      : await judgePackage(archive);
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}

main().catch((err: unknown) => {
  // A message could quote what the scanner was reading: only its redacted form, and only to stderr.
  const text = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ""}` : String(err);
  process.stderr.write(`scan failed: ${redactSecretValues(text).slice(0, 2000)}\n`);
  process.exitCode = 1;
});
