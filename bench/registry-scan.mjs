// registry-scan: the registry's sandboxed scan of a 1,000-file skill package (~10 MiB archive): a fresh
// bubblewrap sandbox (no network, the scanner's default caps), node started in it, every pkgfmt check and
// secretlint's recommended preset over every file, one JSON line parsed on the host, the sandbox removed.
// Reported: seconds per scan and MB/s (archive and plain bytes). Baseline in the same run: the same judge
// (judge.ts) in this process, without a sandbox, so the sandbox's share is visible. Fastest round counts.
// Not a timed unit test, no target.
//
//   npx tsc -b && node bench/registry-scan.mjs [--files 1000] [--mib 10] [--rounds 5]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanupStack, fmt, machineInfo, numberArg, ROOT_DIR, table, writeResults } from "./lib/common.mjs";
import { writeBenchPackage } from "./lib/package.mjs";

const NAME = "registry-scan";
const arg = (name, fallback) => numberArg(name, fallback, { whole: true });
const FILES = arg("files", 1000);
const MIB = arg("mib", 10);
const ROUNDS = arg("rounds", 5);
const SERVER = join(ROOT_DIR, "apps", "server", "dist");

const cleanups = cleanupStack();

async function main() {
  const { pack } = await import("@mogplex/pkgfmt");
  const { createSandboxScanner } = await import(join(SERVER, "registry", "scan", "index.js"));
  const { judgePackage } = await import(join(SERVER, "registry", "scan", "judge.js"));
  const { BwrapProvider } = await import(join(SERVER, "sandboxes", "provider", "bwrap.js"));
  const provider = new BwrapProvider({ bwrap: "bwrap", hostPath: process.env.PATH ?? "/usr/bin:/bin" });
  const status = await provider.check();
  if (!status.ok) {
    process.stdout.write(`${NAME}: skipped: ${status.reason}\n`);
    writeResults(NAME, { machine: machineInfo(), results: [{ skipped: status.reason }] });
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "mogplex-bench-scan-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, "src");
  mkdirSync(src);
  writeBenchPackage(src, { files: FILES, mib: MIB });
  const { archive, info } = await pack(src);
  const zipPath = join(dir, "package.zip");
  writeFileSync(zipPath, archive);
  const plainBytes = info.files.reduce((n, f) => n + f.size, 0);
  process.stderr.write(
    `${NAME}: ${info.files.length} files, ${fmt(plainBytes / 1048576, 1)} MiB plain, ` +
      `${fmt(archive.length / 1048576, 1)} MiB archive\n`,
  );
  const scanner = createSandboxScanner({ provider, rootDir: join(dir, "scans") });

  const sandboxed = async () => {
    const t = performance.now();
    const outcome = await scanner.scan(zipPath);
    const ms = performance.now() - t;
    if (outcome.status !== "passed" || outcome.files.length !== FILES)
      throw new Error(`sandboxed scan: ${outcome.status} ${outcome.reason}`);
    return ms;
  };
  const inProcess = async () => {
    const t = performance.now();
    const outcome = await judgePackage(archive);
    const ms = performance.now() - t;
    if (outcome.status !== "passed") throw new Error(`in-process judge: ${outcome.status} ${outcome.reason}`);
    return ms;
  };

  await sandboxed();
  await inProcess();
  const runs = { sandboxed: [], inProcess: [] };
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      runs.sandboxed.push(await sandboxed());
      runs.inProcess.push(await inProcess());
    } else {
      runs.inProcess.push(await inProcess());
      runs.sandboxed.push(await sandboxed());
    }
  }
  const best = { sandboxed: Math.min(...runs.sandboxed), inProcess: Math.min(...runs.inProcess) };
  const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);
  const result = {
    files: info.files.length,
    plainBytes,
    archiveBytes: archive.length,
    rounds: runs,
    sandboxedSeconds: best.sandboxed / 1000,
    inProcessSeconds: best.inProcess / 1000,
    archiveMBps: mbps(archive.length, best.sandboxed),
    plainMBps: mbps(plainBytes, best.sandboxed),
    ratio: best.sandboxed / best.inProcess,
    sandboxOverheadMs: best.sandboxed - best.inProcess,
  };
  const row = (side, ms) => [
    side,
    fmt(ms / 1000, 2),
    fmt(mbps(archive.length, ms), 1),
    fmt(mbps(plainBytes, ms), 1),
  ];
  process.stdout.write(
    `\n${NAME}: scan of ${info.files.length} files, ${fmt(archive.length / 1048576, 1)} MiB archive ` +
      `(${fmt(plainBytes / 1048576, 1)} MiB plain); fastest of ${ROUNDS} rounds, MB = 10^6 bytes\n` +
      `sandboxed = createSandboxScanner().scan() (sandbox create, node start, judge, parse, destroy); ` +
      `in-process = the same judge without a sandbox; ratio ${fmt(result.ratio, 2)}×\n\n` +
      table(
        ["side", "seconds", "archive MB/s", "plain MB/s"],
        [row("sandboxed scan", best.sandboxed), row("in-process judge", best.inProcess)],
      ) +
      "\n",
  );
  const file = writeResults(NAME, {
    machine: machineInfo(),
    settings: { files: FILES, mib: MIB, rounds: ROUNDS },
    results: [result],
  });
  process.stdout.write(`results: bench/results/${file.split("/").pop()}\n`);
}

try {
  await main();
} finally {
  await cleanups.runAll();
}
