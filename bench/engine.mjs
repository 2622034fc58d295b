// engine: the run engine's hot paths, each as a ratio against a baseline measured in the same run.
//   1. ingest: run events appended one at a time through sanitise + store + publish (what the harness does per
//      step), events/s — baseline: the same rows through one hand-prepared INSERT, no sanitising.
//   2. SSE: delivery latency p50/p99 of live run events to 50 concurrent followers (own process) through
//      GET /runs/{id}/events/stream of the real app — baseline: a bare node:http SSE broadcaster, same
//      followers, same events. PostgreSQL fans out through Redis (the scale-out path).
//   3. sandbox start: fresh clone + bubblewrap ready (first command done) — baseline: `git clone` alone.
//   4. sanitiser: events/s through sanitise alone on a realistic event mix — baseline: the frozen copy of the
//      sanitiser before secretlint rules (bench/lib/sanitize-baseline/), same events, same process.
//
//   node bench/engine.mjs [--db sqlite,postgres] [--events 2000] [--followers 50] [--sse-events 200] [--starts 8]
//   node bench/engine.mjs --sanitize-only      # part 4 alone, no database or sandbox
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BENCH_DIR,
  cleanupStack,
  createFixtures,
  fmt,
  machineInfo,
  numberArg,
  percentile,
  prepareBackend,
  REDIS_URL,
  run,
  selectedBackends,
  table,
  writeResults,
} from "./lib/common.mjs";
import { sanitiserThroughput } from "./lib/sanitize-bench.mjs";

const NAME = "engine";
const arg = numberArg;
const EVENTS = arg("events", 2_000);
const FOLLOWERS = arg("followers", 50);
const SSE_EVENTS = arg("sse-events", 200);
const STARTS = arg("starts", 8);
const LOOP_DEADLINE_MS = 20_000;
const cleanups = cleanupStack();
const wall = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A realistic tool_finished event: arguments, a command's output, an exit code — and one known secret.
const SECRET = `dtok-${randomBytes(8).toString("hex")}`;
const event = (i) => ({
  type: "tool_finished",
  toolName: "run_command",
  message: "run_command finished (exit 0)",
  payload: {
    output: `exit code: 0\n--- stdout ---\n${"build step ok\n".repeat(80)}token=${SECRET} #${i}\n`,
    exitCode: 0,
    durationMs: 1234,
    timedOut: false,
  },
});

async function timed(op, n) {
  const start = performance.now();
  let i = 0;
  while (i < n) {
    await op(i);
    i++;
    if ((i & 63) === 0 && performance.now() - start > LOOP_DEADLINE_MS) break;
  }
  const ms = performance.now() - start;
  return { perSec: (i * 1000) / ms, ops: i, capped: i < n };
}

async function ingest(s, runId, rawRunId) {
  const { sanitizeEventPayload } = await import("../apps/server/dist/sanitize/index.js");
  const rows = [];
  let seq = 0;
  const rawRow = (i) => [
    randomBytes(16).toString("hex"),
    rawRunId,
    ++seq,
    "tool_finished",
    "run_command",
    "m",
    JSON.stringify(event(i).payload),
    Date.now(),
  ];
  let insert;
  if (s.db.sqlite) {
    const stmt = s.db.sqlite.prepare(
      "insert into run_events (id, run_id, seq, type, tool_name, message, payload, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    insert = async (i) => stmt.run(...rawRow(i));
  } else {
    const text =
      "insert into run_events (id, run_id, seq, type, tool_name, message, payload, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)";
    insert = async (i) => s.db.pool.query({ name: "bench_event_insert", text, values: rawRow(i) });
  }
  const warm = Math.min(200, EVENTS);
  await timed((i) => s.events.append(runId, [event(i)], [SECRET]), warm);
  await timed(insert, warm);
  const mogplex = await timed((i) => s.events.append(runId, [event(i)], [SECRET]), EVENTS);
  const baseline = await timed(insert, EVENTS);
  // The engine's emitter under a burst: events queued while an append is in flight share one transaction.
  const { RunEmitter } = await import("../apps/server/dist/engine/emitter.js");
  const emitter = new RunEmitter(s.events, runId, s.logger);
  emitter.addSecrets([SECRET]);
  const e0 = performance.now();
  for (let i = 0; i < EVENTS; i++) void emitter.emit(event(i));
  await emitter.flush();
  const burst = { perSec: (EVENTS * 1000) / (performance.now() - e0), ops: EVENTS, capped: false };
  const t0 = performance.now();
  for (let i = 0; i < 2_000; i++)
    rows.push(sanitizeEventPayload(event(i).payload, { knownSecrets: [SECRET] }));
  const sanitizeUs = ((performance.now() - t0) * 1000) / 2_000;
  if (JSON.stringify(rows[0]).includes(SECRET)) throw new Error("the known secret survived sanitising");
  return { mogplex, baseline, ratio: mogplex.perSec / baseline.perSec, emitter: burst, sanitizeUs };
}

function followers(url, token) {
  const script = join(BENCH_DIR, "lib", "sse-followers.mjs");
  const child = spawn(
    process.execPath,
    [script, JSON.stringify({ url, token, n: FOLLOWERS, expect: SSE_EVENTS })],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  let onReady;
  const ready = new Promise((r) => {
    onReady = r;
  });
  child.stdout.on("data", (d) => {
    out += d;
    if (out.includes("READY\n")) onReady();
  });
  const done = new Promise((resolve, reject) => {
    child.on("close", () => {
      try {
        resolve(
          JSON.parse(
            out
              .split("\n")
              .filter((l) => l.startsWith("{"))
              .pop(),
          ),
        );
      } catch {
        reject(new Error(`followers printed no report: ${out.slice(-300)}`));
      }
    });
  });
  return {
    ready: Promise.race([
      ready,
      sleep(30_000).then(() => Promise.reject(new Error("followers never connected"))),
    ]),
    done,
  };
}

function stats(report) {
  const sorted = [...report.latencies].sort((a, b) => a - b);
  const expected = FOLLOWERS * SSE_EVENTS;
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    delivered: sorted.length,
    expected,
    errors: report.errors,
  };
}

async function sse(s, app, token, runId) {
  const { serve } = await import("@hono/node-server");
  const server = await new Promise((resolve) => {
    const srv = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(srv));
  });
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${server.address().port}/api/v1/mogplex/runs/${runId}/events/stream`;
  const f = followers(url, token);
  await f.ready;
  for (let i = 0; i < SSE_EVENTS; i++) {
    await s.events.append(runId, [{ type: "log", message: `bench t=${wall()}` }]);
    await sleep(5);
  }
  const mogplex = stats(await f.done);
  server.closeAllConnections?.();

  // Baseline: the same followers and events, written straight to each response by a bare server.
  const open = new Set();
  const bare = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
    res.flushHeaders();
    open.add(res);
    req.on("close", () => open.delete(res));
  });
  await new Promise((r) => bare.listen(0, "127.0.0.1", r));
  const b = followers(`http://127.0.0.1:${bare.address().port}/stream`, undefined);
  await b.ready;
  for (let i = 0; i < SSE_EVENTS; i++) {
    const data = JSON.stringify({
      id: randomBytes(16).toString("hex"),
      seq: i + 1,
      type: "log",
      message: `bench t=${wall()}`,
    });
    for (const res of open) res.write(`id: ${i + 1}\nevent: log\ndata: ${data}\n\n`);
    await sleep(5);
  }
  const baseline = stats(await b.done);
  bare.closeAllConnections();
  bare.close();
  return { mogplex, baseline, p50Ratio: mogplex.p50 / baseline.p50, p99Ratio: mogplex.p99 / baseline.p99 };
}

async function benchBackend(backend) {
  const b = await prepareBackend(backend === "postgres" ? "postgres+redis" : backend);
  if (b.skipped) return { backend, skipped: b.skipped };
  cleanups.push(b.cleanup);
  const { token, repoId } = await createFixtures(b.env, b.dir);
  const { wire, loadConfig, createApp } = await import("@mogplex/server");
  const s = await wire({ config: loadConfig(b.env) });
  cleanups.push(() => s.close());
  const principal = await s.tokens.authenticate(token);
  const body = { repoId, prompt: "bench" };
  const { run: r } = await s.runs.create(
    principal,
    body,
    body,
    `bench-${randomBytes(6).toString("hex")}`,
    "api",
    {
      actorType: "system",
      actorId: null,
    },
  );
  const another = async () =>
    (
      await s.runs.create(principal, body, body, `bench-${randomBytes(6).toString("hex")}`, "api", {
        actorType: "system",
        actorId: null,
      })
    ).run.id;
  const out = { backend: backend === "postgres" ? "postgres+redis" : backend };
  // Separate runs for the appender and the raw baseline, so their sequence numbers never meet.
  out.ingest = await ingest(s, r.id, await another());
  out.sse = await sse(s, createApp(s), token, await another());
  process.stderr.write(
    `  ${out.backend}: ingest ${fmt(out.ingest.mogplex.perSec, 0)}/s vs ${fmt(out.ingest.baseline.perSec, 0)}/s raw; ` +
      `SSE p50 ${fmt(out.sse.mogplex.p50, 2)} ms / p99 ${fmt(out.sse.mogplex.p99, 2)} ms (bare ${fmt(out.sse.baseline.p50, 2)} / ${fmt(out.sse.baseline.p99, 2)})\n`,
  );
  return out;
}

async function sandboxStart() {
  const { BwrapProvider } = await import("../apps/server/dist/sandboxes/provider/bwrap.js");
  const { cloneForRun } = await import("../apps/server/dist/engine/git.js");
  const dir = mkdtempSync(join(tmpdir(), "mogplex-bench-sbx-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // A repo of some size: 300 files in 30 directories, a few commits.
  const src = join(dir, "src");
  mkdirSync(src);
  const git = (...a) =>
    run("git", ["-C", src, ...a], {
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        GIT_AUTHOR_NAME: "b",
        GIT_AUTHOR_EMAIL: "b@b",
        GIT_COMMITTER_NAME: "b",
        GIT_COMMITTER_EMAIL: "b@b",
      },
    });
  await git("init", "-q", "-b", "main");
  for (let c = 0; c < 3; c++) {
    for (let d = 0; d < 30; d++) {
      mkdirSync(join(src, `pkg${d}`), { recursive: true });
      for (let f = 0; f < 10; f++)
        writeFileSync(join(src, `pkg${d}`, `f${f}.ts`), `export const v${c} = ${f};\n`.repeat(40));
    }
    await git("add", "-A");
    await git("commit", "-q", "-m", `c${c}`);
  }
  const hostPath = process.env.PATH ?? "/usr/bin:/bin";
  const provider = new BwrapProvider({ bwrap: "bwrap", hostPath });
  const status = await provider.check();
  if (!status.ok) return { skipped: status.reason };
  const limits = {
    processes: 256,
    cpuSeconds: 60,
    memoryMb: 1024,
    addressSpaceMb: 0,
    fileSizeMb: 256,
    diskMb: 8192,
  };
  const cloneOnly = [];
  const full = [];
  for (let i = 0; i < STARTS; i++) {
    const t0 = performance.now();
    await run(
      "git",
      ["clone", "--quiet", "--no-hardlinks", "--branch", "main", "--", src, join(dir, `plain-${i}`)],
      { env: { PATH: hostPath, HOME: dir } },
    );
    cloneOnly.push(performance.now() - t0);
    const id = randomBytes(8).toString("hex");
    const t1 = performance.now();
    const h = await provider.create({
      id,
      root: join(dir, "sbx", id),
      env: { PATH: "/usr/bin:/bin", HOME: "/tmp" },
      limits,
    });
    await cloneForRun({
      path: hostPath,
      source: src,
      dest: h.workspace,
      base: "main",
      working: `w${i}`,
      createBranch: true,
    });
    const r = await h.exec({ script: "true", timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new Error(`sandbox not ready: ${r.stderr}`);
    full.push(performance.now() - t1);
    await h.destroy();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return {
    starts: STARTS,
    processLimit: status.processLimit,
    cloneMsMedian: median(cloneOnly),
    sandboxStartMsMedian: median(full),
    ratio: median(full) / median(cloneOnly),
  };
}

const results = [];
let sandbox;
let sanitiser;
const sanitizeOnly = process.argv.includes("--sanitize-only");
try {
  process.stderr.write(`${NAME}: sanitiser…\n`);
  sanitiser = await sanitiserThroughput();
  if (sanitizeOnly) throw Object.assign(new Error("done"), { done: true });
  const backends = [...new Set(selectedBackends().map((x) => (x === "postgres+redis" ? "postgres" : x)))];
  for (const backend of backends) {
    process.stderr.write(`${NAME}: ${backend}…\n`);
    results.push(await benchBackend(backend));
  }
  process.stderr.write(`${NAME}: sandbox start…\n`);
  sandbox = await sandboxStart();
} catch (err) {
  if (!err.done) throw err;
} finally {
  await cleanups.runAll();
}

const rows = [];
for (const r of results) {
  if (r.skipped) {
    rows.push([r.backend, "skipped", r.skipped, "", ""]);
    continue;
  }
  rows.push([
    `${r.backend} ingest (events/s)`,
    fmt(r.ingest.mogplex.perSec, 0),
    fmt(r.ingest.baseline.perSec, 0),
    fmt(r.ingest.ratio, 2),
    `sanitise ${fmt(r.ingest.sanitizeUs, 1)} µs/event`,
  ]);
  rows.push([
    `${r.backend} emitter burst (events/s)`,
    fmt(r.ingest.emitter.perSec, 0),
    fmt(r.ingest.baseline.perSec, 0),
    fmt(r.ingest.emitter.perSec / r.ingest.baseline.perSec, 2),
    "batched appends",
  ]);
  rows.push([
    `${r.backend} SSE p50 (ms, ${FOLLOWERS} followers)`,
    fmt(r.sse.mogplex.p50, 2),
    fmt(r.sse.baseline.p50, 2),
    fmt(r.sse.p50Ratio, 2),
    `${r.sse.mogplex.delivered}/${r.sse.mogplex.expected} delivered`,
  ]);
  rows.push([
    `${r.backend} SSE p99 (ms)`,
    fmt(r.sse.mogplex.p99, 2),
    fmt(r.sse.baseline.p99, 2),
    fmt(r.sse.p99Ratio, 2),
    "",
  ]);
}
if (sandbox?.skipped) rows.push(["sandbox start", "skipped", sandbox.skipped, "", ""]);
else if (sandbox)
  rows.push([
    "sandbox start (ms, median)",
    fmt(sandbox.sandboxStartMsMedian, 0),
    fmt(sandbox.cloneMsMedian, 0),
    fmt(sandbox.ratio, 2),
    `clone + bwrap ready vs git clone; ${sandbox.processLimit}`,
  ]);
for (const [mix, m] of Object.entries(sanitiser ?? {})) {
  const hidden =
    m.credentialHiddenAfter === null
      ? ""
      : `; credentials hidden: before ${m.credentialHiddenBefore}, after ${m.credentialHiddenAfter}`;
  rows.push([
    `sanitiser, ${mix} mix (events/s)`,
    fmt(m.afterPerSec, 0),
    fmt(m.beforePerSec, 0),
    fmt(m.afterPerSec / m.beforePerSec, 2),
    `cost ×${fmt(m.costRatio, 2)} per event (median of side-by-side chunks, p90 ×${fmt(m.costRatioP90, 2)}) vs the old sanitiser${mix === "realistic" ? " (target ≤ 2)" : ""}${hidden}`,
  ]);
}
process.stdout.write(`\n${NAME}\n\n${table(["measure", "mogplex", "baseline", "ratio", "note"], rows)}\n`);
const file = writeResults(NAME, {
  machine: machineInfo(),
  settings: { events: EVENTS, followers: FOLLOWERS, sseEvents: SSE_EVENTS, starts: STARTS, redis: REDIS_URL },
  results,
  sandbox,
  sanitiser,
});
process.stdout.write(`results: bench/results/${file.split("/").pop()}\n`);
