// scale: what more replicas and workers buy on this machine, measured in the same run on one PostgreSQL + Redis.
//   1. authenticated GET /api/v1/mogplex/runs/{id}: req/s against 1 `mogplex serve` replica vs 3, the same
//      load generators (3 processes, lib/load.mjs) aimed at one replica or one each; scaling efficiency =
//      rps₃ ÷ (3 × rps₁), reported with the core count (on 2 cores, 3 replicas + PostgreSQL + the load
//      generators share them, which caps it).
//   2. MCP gateway: `echo` (server-everything over Streamable HTTP) through /mcp, calls/s with 1 replica vs 3
//      (3 SDK-client load processes, lib/mcp-load.mjs, same clients either way).
//   3. run events/s through 1 vs 2 `mogplex worker` processes (concurrency 1 each): a batch of runs of many
//      steps against a scripted model on loopback, events stored ÷ wall time from the first start to the last end.
//
//   node bench/scale.mjs [--requests 12000] [--connections 36] [--rounds 2] [--calls 1500] [--clients 9]
//                        [--runs 6] [--steps 15]
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { availableParallelism, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import {
  BENCH_DIR,
  cleanupStack,
  createFixtures,
  fmt,
  HUGE_LIMIT,
  MOGPLEX_BIN,
  machineInfo,
  numberArg,
  prepareBackend,
  run,
  runLoad,
  spawnReady,
  table,
  writeResults,
} from "./lib/common.mjs";
import { startUpstream } from "./lib/everything.mjs";

const NAME = "scale";
const arg = numberArg;
const REQUESTS = arg("requests", 12_000);
const CONNECTIONS = arg("connections", 36);
const ROUNDS = arg("rounds", 2);
const CALLS = arg("calls", 1_500);
const CLIENTS = arg("clients", 9);
const RUNS = arg("runs", 6);
const STEPS = arg("steps", 15);
const GENERATORS = 3;
const cleanups = cleanupStack();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A scripted OpenAI-compatible model: STEPS write_file calls, then a final answer. */
async function startModel() {
  let calls = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      const { model, messages } = JSON.parse(body);
      const step = messages.filter((m) => m.role === "assistant").length;
      const message =
        step < STEPS
          ? {
              role: "assistant",
              content: null,
              tool_calls: [
                {
                  id: `call_${++calls}`,
                  type: "function",
                  function: {
                    name: "write_file",
                    arguments: JSON.stringify({ path: `f${step}.txt`, content: `step ${step}\n` }),
                  },
                },
              ],
            }
          : { role: "assistant", content: "done" };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: `c${calls}`,
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [{ index: 0, message, finish_reason: message.tool_calls ? "tool_calls" : "stop" }],
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        }),
      );
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/v1`, close: () => server.close() };
}

/** A bare repository with one commit on main (the runs' remote). */
async function seededRepo(dir) {
  const bare = join(dir, "scale.git");
  const work = join(dir, "seed");
  const env = { ...process.env, GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@example.test" };
  env.GIT_COMMITTER_NAME = "b";
  env.GIT_COMMITTER_EMAIL = "b@example.test";
  execFileSync("git", ["init", "-q", "--bare", "-b", "main", bare], { env });
  mkdirSync(work);
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: work, env });
  writeFileSync(join(work, "README.md"), "# scale\n");
  execFileSync("git", ["add", "-A"], { cwd: work, env });
  execFileSync("git", ["commit", "-q", "-m", "init"], { cwd: work, env });
  execFileSync("git", ["push", "-q", bare, "main"], { cwd: work, env });
  return bare;
}

async function startReplica(env, dir, i) {
  const p = await spawnReady(MOGPLEX_BIN, ["serve", "--host", "127.0.0.1", "--port", "0"], {
    env: { ...env, MOGPLEX_DATA_DIR: join(dir, `replica-${i}`) },
    ready: /mogplex listening on (http:\/\/\S+)/,
  });
  cleanups.push(p.stop);
  const base = p.match[1];
  return { base, port: Number(new URL(base).port), pid: p.child.pid, stop: p.stop };
}

async function startWorker(env, dir, i) {
  const p = await spawnReady(MOGPLEX_BIN, ["worker", "--concurrency", "1"], {
    env: { ...env, MOGPLEX_DATA_DIR: join(dir, `worker-${i}`) },
    ready: /mogplex worker (\S+) started/,
  });
  cleanups.push(p.stop);
  return p;
}

/** GENERATORS load processes at once, spread over `targets` in turn; their rates add up. */
async function spreadLoad(targets, path, auth) {
  const parts = await Promise.all(
    Array.from({ length: GENERATORS }, (_, g) => {
      const t = targets[g % targets.length];
      return runLoad({
        port: t.port,
        path,
        headers: { Authorization: auth, Accept: "application/json" },
        connections: Math.max(1, Math.round(CONNECTIONS / GENERATORS)),
        warmup: 500,
        requests: Math.round(REQUESTS / GENERATORS),
        deadlineMs: 20_000,
        warmupDeadlineMs: 5_000,
      });
    }),
  );
  const valid = parts.every((x) => x.phase === "measure" && x.ok === x.completed && x.completed > 0);
  const p50 = Math.max(...parts.map((x) => x.latencyMs.p50 ?? 0));
  return {
    rps: parts.reduce((a, x) => a + x.rps, 0),
    p50,
    valid,
    capped: parts.some((x) => x.timedOut),
    parts,
  };
}

/** GENERATORS SDK-client load processes at once over `urls` in turn (the gateway's /mcp, or the upstream). */
async function spreadMcp(urls, headers, tool) {
  const parts = await Promise.all(
    Array.from({ length: GENERATORS }, (_, g) =>
      run(process.execPath, [
        join(BENCH_DIR, "lib", "mcp-load.mjs"),
        JSON.stringify({
          url: urls[g % urls.length],
          headers,
          tool,
          clients: Math.max(1, Math.round(CLIENTS / GENERATORS)),
          warmup: 200,
          calls: Math.round(CALLS / GENERATORS),
          deadlineMs: 20_000,
        }),
      ]).then((out) => JSON.parse(out)),
    ),
  );
  // A process cut off by its deadline reports the rate over what it completed (marked "capped").
  const valid = parts.every((x) => x.errors === 0 && x.calls > 0);
  const p50 = Math.max(...parts.map((x) => x.latencyMs.p50));
  return {
    rps: parts.reduce((a, x) => a + x.rps, 0),
    p50,
    valid,
    capped: parts.some((x) => x.timedOut),
    parts,
  };
}

/** Starts RUNS runs and waits for all of them; events stored ÷ seconds from the first start to the last end. */
async function eventThroughput(base, token, repoId, pool, label) {
  const t0 = performance.now();
  const ids = [];
  for (let i = 0; i < RUNS; i++) {
    const res = await fetch(`${base}/api/v1/mogplex/runs`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "idempotency-key": `${label}-${i}`,
      },
      body: JSON.stringify({ repoId, prompt: `${label} run ${i}` }),
    });
    const body = await res.json();
    if (res.status !== 202) throw new Error(`POST /runs → ${res.status} ${JSON.stringify(body)}`);
    ids.push(body.data.run.id);
  }
  const deadline = Date.now() + 300_000;
  let rows;
  for (;;) {
    rows = (await pool.query("select status from runs where id = any($1)", [ids])).rows;
    if (rows.every((r) => ["success", "failed", "cancelled"].includes(r.status))) break;
    if (Date.now() > deadline) throw new Error(`${label}: runs still going after 300 s`);
    await sleep(50);
  }
  const seconds = (performance.now() - t0) / 1000;
  const events = Number(
    (await pool.query("select count(*) as n from run_events where run_id = any($1)", [ids])).rows[0].n,
  );
  const ok = rows.filter((r) => r.status === "success").length;
  return { runs: RUNS, ok, events, seconds, eventsPerSec: events / seconds, valid: ok === RUNS };
}

async function main() {
  // Other work on the machine skews every rate here; the 1-minute load average before we start says how much.
  const loadBefore = loadavg()[0];
  const b = await prepareBackend("postgres+redis");
  if (b.skipped) throw new Error(b.skipped);
  cleanups.push(b.cleanup);
  const model = await startModel();
  cleanups.push(async () => model.close());
  const env = {
    ...b.env,
    MOGPLEX_WORKER_CONCURRENCY: "0",
    MOGPLEX_WORKER_POLL_MS: "100",
    MOGPLEX_RUN_START_LIMITS: "1000000/1m,1000000/1h,1000000/1d",
    MOGPLEX_GATEWAY_KEY_CACHE_TTL_MS: "3600000",
    MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.url,
    MOGPLEX_DEFAULT_MODEL: "openai-compatible/scale",
    MOGPLEX_AGENT_MAX_STEPS: String(STEPS + 5),
  };
  const fx = await createFixtures(env, b.dir);
  const { admin, gatewayAdmin } = await import("@mogplex/server");
  const repoId = await admin.addRepo(
    env,
    {},
    { team: "bench", name: "bench/scale", path: await seededRepo(b.dir) },
  );
  const up = await startUpstream(cleanups);
  await gatewayAdmin.addMcpServer(env, {}, { team: "bench", name: "everything", url: up.url });
  const key = await gatewayAdmin.createGatewayKey(
    env,
    {},
    { email: fx.email, name: "scale", rateLimitRps: "100000" },
  );

  const replicas = [];
  for (let i = 0; i < 3; i++) replicas.push(await startReplica(env, b.dir, i));
  const auth = `Bearer ${fx.token}`;
  const created = await fetch(`${replicas[0].base}/api/v1/mogplex/runs`, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/json", "idempotency-key": "scale-get" },
    body: JSON.stringify({ repoId: fx.repoId, prompt: "read me" }),
  });
  const path = `/api/v1/mogplex/runs/${(await created.json()).data.run.id}`;

  const get = { one: [], three: [] };
  const gw = { one: [], three: [] };
  // The ceiling for the gateway rows: the same load straight to the one upstream process behind it.
  const direct = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order so neither side always runs on a cooler or hotter machine.
    for (const n of r % 2 === 0 ? ["one", "three"] : ["three", "one"]) {
      const targets = n === "one" ? [replicas[0]] : replicas;
      const label = n === "one" ? "1 replica" : "3 replicas";
      const g = await spreadLoad(targets, path, auth);
      get[n].push(g);
      process.stderr.write(
        `  round ${r + 1} GET, ${label}: ${fmt(g.rps, 0)} req/s${g.capped ? " (capped)" : ""}${g.valid ? "" : " INVALID"}\n`,
      );
      const m = await spreadMcp(
        targets.map((t) => `${t.base}/mcp`),
        { Authorization: `Bearer ${key}` },
        "everything__echo",
      );
      gw[n].push(m);
      process.stderr.write(
        `  round ${r + 1} gateway, ${label}: ${fmt(m.rps, 0)} calls/s${m.capped ? " (capped)" : ""}${m.valid ? "" : " INVALID"}\n`,
      );
    }
    // Last in the round, so the upstream is as warm as it was behind the gateway.
    const d = await spreadMcp([up.url], {}, "echo");
    direct.push(d);
    process.stderr.write(
      `  round ${r + 1} upstream alone: ${fmt(d.rps, 0)} calls/s${d.capped ? " (capped)" : ""}\n`,
    );
  }
  await up.stop();

  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
  cleanups.push(() => pool.end());
  await startWorker(env, b.dir, 1);
  const ev1 = await eventThroughput(replicas[0].base, fx.token, repoId, pool, "one-worker");
  process.stderr.write(
    `  events, 1 worker: ${fmt(ev1.eventsPerSec, 0)} events/s (${ev1.ok}/${ev1.runs} runs ok)\n`,
  );
  await startWorker(env, b.dir, 2);
  const ev2 = await eventThroughput(replicas[0].base, fx.token, repoId, pool, "two-workers");
  process.stderr.write(
    `  events, 2 workers: ${fmt(ev2.eventsPerSec, 0)} events/s (${ev2.ok}/${ev2.runs} runs ok)\n`,
  );

  const best = (list) => list.reduce((a, x) => (x.rps > a.rps ? x : a));
  const g1 = best(get.one);
  const g3 = best(get.three);
  const m1 = best(gw.one);
  const m3 = best(gw.three);
  const cores = availableParallelism();
  const machine = {
    ...machineInfo(),
    cores,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverageBefore: loadBefore,
  };
  const results = {
    get: {
      one: g1,
      three: g3,
      efficiency: g3.rps / (3 * g1.rps),
      valid: [...get.one, ...get.three].every((x) => x.valid),
    },
    gateway: {
      one: m1,
      three: m3,
      efficiency: m3.rps / (3 * m1.rps),
      upstreamAlone: best(direct),
      valid: [...gw.one, ...gw.three].every((x) => x.valid),
    },
    events: { one: ev1, two: ev2, ratio: ev2.eventsPerSec / ev1.eventsPerSec, valid: ev1.valid && ev2.valid },
  };
  const flag = (ok, ...xs) => (!ok ? "INVALID" : xs.some((x) => x.capped) ? "capped" : "");
  const rows = [
    [
      "GET /runs/{id} (req/s)",
      fmt(g1.rps, 0),
      fmt(g3.rps, 0),
      fmt(g3.rps / g1.rps, 2),
      fmt(results.get.efficiency, 2),
      flag(results.get.valid, g1, g3),
    ],
    [
      "gateway echo (calls/s)",
      fmt(m1.rps, 0),
      fmt(m3.rps, 0),
      fmt(m3.rps / m1.rps, 2),
      fmt(results.gateway.efficiency, 2),
      flag(results.gateway.valid, m1, m3),
    ],
    ["  (upstream alone, the ceiling)", fmt(best(direct).rps, 0), "", "", "", ""],
    [
      "run events (events/s)",
      fmt(ev1.eventsPerSec, 0),
      fmt(ev2.eventsPerSec, 0),
      fmt(results.events.ratio, 2),
      fmt(results.events.ratio / 2, 2),
      flag(results.events.valid),
    ],
  ];
  process.stdout.write(
    `\n${NAME}: ${cores} cores, ${machine.memoryGiB} GiB (load average ${fmt(loadBefore, 1)} before); PostgreSQL + Redis; best of ${ROUNDS} rounds for GET and gateway\n` +
      `GET: ${GENERATORS} load processes, ${CONNECTIONS} connections, ${REQUESTS} requests; gateway: ${CLIENTS} clients, ${CALLS} calls;\n` +
      `events: ${RUNS} runs of ${STEPS} write_file steps, workers at concurrency 1\n` +
      `efficiency = rate(N) ÷ (N × rate(1)): N = 3 replicas, or 2 workers\n\n` +
      `${table(["", "1", "3 replicas / 2 workers", "×", "efficiency", ""], rows)}\n`,
  );
  const file = writeResults(NAME, {
    machine,
    settings: {
      requests: REQUESTS,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      calls: CALLS,
      clients: CLIENTS,
      runs: RUNS,
      steps: STEPS,
      limit: HUGE_LIMIT,
    },
    results,
    rounds: { get, gateway: gw, upstreamAlone: direct },
  });
  process.stdout.write(`results: bench/results/${file.split("/").pop()}\n`);
}

try {
  await main();
} finally {
  await cleanups.runAll();
}
