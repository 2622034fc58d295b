// `npm run bench`: runs every bench in sequence, each in its own process, then prints one summary of the
// ratios against their in-run baselines. Extra arguments (e.g. `--db sqlite`) are passed to every bench.
// Exit 1 if a bench crashed; with --strict also if a ratio misses its target.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH_DIR, fmt, RESULTS_DIR, table } from "./lib/common.mjs";

const BENCHES = [
  "api-throughput",
  "pat-verify",
  "cli-startup",
  "gateway",
  "engine",
  "pkgfmt",
  "registry-scan",
  "llm-ttft",
];
const args = process.argv.slice(2).filter((a) => a !== "--strict");
const strict = process.argv.includes("--strict");

let current;
let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    // Let the running bench clean up (servers, temp database) before we go.
    interrupted = true;
    if (current) current.kill(sig);
    else process.exit(130);
  });
}

function runBench(name) {
  return new Promise((resolve) => {
    current = spawn(process.execPath, [join(BENCH_DIR, `${name}.mjs`), ...args], { stdio: "inherit" });
    current.on("exit", (code, signal) => {
      current = undefined;
      if (interrupted || signal) process.exit(130);
      resolve(code ?? 1);
    });
  });
}

const started = Date.now();
const outcome = {};
for (const name of BENCHES) {
  process.stdout.write(`\n=== ${name} ===\n`);
  const t = Date.now();
  const code = await runBench(name);
  outcome[name] = { code, seconds: (Date.now() - t) / 1000 };
}

function fresh(name) {
  const file = join(RESULTS_DIR, `${name}.json`);
  if (!existsSync(file)) return null;
  const data = JSON.parse(readFileSync(file, "utf8"));
  return Date.parse(data.at) >= started ? data : null;
}

const rows = [];
let missed = 0;
const api = fresh("api-throughput");
for (const r of api?.results ?? []) {
  if (r.skipped) {
    rows.push(["api-throughput", r.backend, "skipped", "", "", "", ""]);
    continue;
  }
  const status = !r.valid ? "INVALID" : r.meetsTarget ? "ok" : "BELOW TARGET";
  if (status !== "ok") missed++;
  rows.push([
    "api-throughput",
    r.backend,
    `${fmt(r.mogplex.rps, 0)} req/s`,
    `${fmt(r.bare.rps, 0)} req/s`,
    fmt(r.ratio, 2),
    `≥ ${r.target}`,
    status,
  ]);
  if (r.longWindow)
    rows.push([
      "  └ 60s limiter window",
      r.backend,
      `${fmt(r.longWindow.rps, 0)} req/s`,
      `${fmt(r.bare.rps, 0)} req/s`,
      fmt(r.longWindow.ratio, 2),
      "diag",
      "",
    ]);
}
const pat = fresh("pat-verify");
for (const r of pat?.results ?? []) {
  if (r.skipped) {
    rows.push(["pat-verify", r.backend, "skipped", "", "", "", ""]);
    continue;
  }
  rows.push([
    "pat-verify",
    r.backend,
    `${fmt(r.authenticate.usPerOp, 1)} µs/op`,
    `${fmt(r.sha256.usPerOp, 2)} µs/op`,
    `${fmt(r.ratio, 0)}×`,
    "report",
    "",
  ]);
}

const gw = fresh("gateway");
for (const r of gw?.results ?? []) {
  const flag = (ok) => (!r.valid ? "INVALID" : ok ? "ok" : "BELOW TARGET");
  if (!r.valid || !r.meetsTargets.addedP50) missed++;
  if (!r.valid || !r.meetsTargets.throughput) missed++;
  rows.push([
    "gateway: added p50 / p99",
    "sqlite",
    `+${fmt(r.addedLatencyMs.p50, 3)} / +${fmt(r.addedLatencyMs.p99, 3)} ms`,
    `${fmt(r.direct.seq.latencyMs.p50, 3)} ms direct`,
    "",
    `≤ +${r.targets.addedP50Ms} ms`,
    flag(r.meetsTargets.addedP50),
  ]);
  rows.push([
    `gateway: throughput (${r.clients} clients)`,
    "sqlite",
    `${fmt(r.gateway.par.rps, 0)} calls/s`,
    `${fmt(r.direct.par.rps, 0)} calls/s`,
    fmt(r.throughputRatio, 2),
    `≥ ${r.targets.throughputRatio}`,
    flag(r.meetsTargets.throughput),
  ]);
  rows.push([
    "gateway: key verify cold / warm",
    "sqlite",
    `${fmt(r.keyVerification.coldMsMedian, 1)} ms / ${fmt(r.keyVerification.warmUs, 1)} µs`,
    `${fmt(r.keyVerification.sha256Us, 2)} µs sha256`,
    "",
    "report",
    "",
  ]);
}

const cli = fresh("cli-startup");
if (cli) {
  const base = cli.results.find((r) => r.name === "node -e 0");
  for (const r of cli.results.filter((x) => !x.name.startsWith("node"))) {
    rows.push([
      `cli-startup: ${r.name === "help" ? "--help" : r.name}`,
      "sqlite",
      `${fmt(r.medianMs, 0)} ms`,
      `${fmt(base?.medianMs, 0)} ms`,
      `${fmt(r.ratio, 2)}×`,
      "report",
      "",
    ]);
  }
}

const engine = fresh("engine");
for (const r of engine?.results ?? []) {
  if (r.skipped) {
    rows.push(["engine", r.backend, "skipped", "", "", "", ""]);
    continue;
  }
  const ev = (x) => `${fmt(x.perSec, 0)} events/s`;
  rows.push([
    "engine: event ingest",
    r.backend,
    ev(r.ingest.mogplex),
    `${ev(r.ingest.baseline)} raw`,
    fmt(r.ingest.ratio, 2),
    "report",
    "",
  ]);
  if (r.ingest.emitter) {
    rows.push([
      "  └ engine emitter, burst",
      r.backend,
      ev(r.ingest.emitter),
      `${ev(r.ingest.baseline)} raw`,
      fmt(r.ingest.emitter.perSec / r.ingest.baseline.perSec, 2),
      "report",
      "",
    ]);
  }
  const ms = (x) => `${fmt(x.p50, 1)} / ${fmt(x.p99, 1)} ms`;
  rows.push([
    "engine: SSE p50 / p99, 50 followers",
    r.backend,
    ms(r.sse.mogplex),
    `${ms(r.sse.baseline)} bare`,
    `${fmt(r.sse.p50Ratio, 2)} / ${fmt(r.sse.p99Ratio, 2)}`,
    "report",
    "",
  ]);
}
const SANITISER_TARGET = 2;
for (const [mix, m] of Object.entries(engine?.sanitiser ?? {})) {
  const gated = mix === "realistic";
  const ok = m.costRatio <= SANITISER_TARGET;
  if (gated && !ok) missed++;
  rows.push([
    `engine: sanitiser, ${mix} mix`,
    "—",
    `${fmt(m.afterPerSec, 0)} events/s`,
    `${fmt(m.beforePerSec, 0)} events/s old`,
    `${fmt(m.costRatio, 2)}× cost`,
    gated ? `≤ ${SANITISER_TARGET}× cost` : "report",
    gated ? (ok ? "ok" : "BELOW TARGET") : "",
  ]);
}
if (engine?.sandbox && !engine.sandbox.skipped) {
  const sb = engine.sandbox;
  rows.push([
    "engine: sandbox start (clone + bwrap)",
    "—",
    `${fmt(sb.sandboxStartMsMedian, 0)} ms`,
    `${fmt(sb.cloneMsMedian, 0)} ms git clone`,
    `${fmt(sb.ratio, 2)}×`,
    "report",
    "",
  ]);
}

const ttft = fresh("llm-ttft");
for (const r of ttft?.results ?? []) {
  if (!r.meetsTarget) missed++;
  rows.push([
    "llm endpoint: first token added p50 / p95",
    "sqlite",
    `+${fmt(r.addedMs.p50, 3)} / +${fmt(r.addedMs.p95, 3)} ms`,
    `${fmt(r.direct.p50, 3)} ms direct`,
    "",
    `≤ +${r.target.addedP50Ms} ms`,
    r.meetsTarget ? "ok" : "BELOW TARGET",
  ]);
}

process.stdout.write(
  `\n=== summary (${fmt((Date.now() - started) / 1000, 0)} s) ===\n\n` +
    table(["bench", "backend", "measured", "baseline", "ratio", "target", ""], rows) +
    "\n\n",
);
let crashed = false;
for (const [name, o] of Object.entries(outcome)) {
  const ok = o.code === 0 && fresh(name);
  if (!ok) crashed = true;
  process.stdout.write(
    `${name}: ${ok ? "done" : `FAILED (exit ${o.code})`} in ${fmt(o.seconds, 0)} s → bench/results/${name}.json\n`,
  );
}
process.exitCode = crashed || (strict && missed > 0) ? 1 : 0;
