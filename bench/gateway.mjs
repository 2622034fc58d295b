// gateway: `echo` through the MCP gateway (`mogplex serve`, its own process) against `echo` straight to the same
// upstream (server-everything over Streamable HTTP, its own process), both driven by the SDK's own Client from a
// third process, in the same run. Reports the latency the gateway adds (p50/p99, one call at a time) and the
// throughput ratio (several clients), plus the cost of verifying a gateway key cold (Argon2id) and warm (cache).
// A bare node:http pass-through proxy runs in the same rounds as a diagnostic: the floor of one extra HTTP hop.
//
//   node bench/gateway.mjs [--calls 3000] [--seq 1000] [--clients 8] [--rounds 3] [--cold 12]
import { createHash } from "node:crypto";
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
  profileArgs,
  run,
  spawnReady,
  table,
  writeResults,
} from "./lib/common.mjs";
import { startUpstream } from "./lib/everything.mjs";

const NAME = "gateway";
const TARGET_ADDED_P50_MS = 0.3;
const TARGET_RATIO = 0.6;

const arg = numberArg;
const CALLS = arg("calls", 3_000);
const SEQ = arg("seq", 1_000);
const CLIENTS = arg("clients", 8);
const ROUNDS = arg("rounds", 3);
const COLD = arg("cold", 12);

const cleanups = cleanupStack();
async function mcpLoad(opts) {
  return JSON.parse(
    await run(process.execPath, [join(BENCH_DIR, "lib", "mcp-load.mjs"), JSON.stringify(opts)]),
  );
}

function logRow(label, r) {
  process.stderr.write(
    `  ${label.padEnd(30)} ${fmt(r.rps, 0).padStart(6)} calls/s  p50 ${fmt(r.latencyMs.p50, 3)} ms  p99 ${fmt(r.latencyMs.p99, 3)} ms` +
      `  server CPU ${fmt(r.serverCpuUsPerCall, 0)} µs/call` +
      `${r.hopCpuUsPerCall == null ? "" : ` (hop ${fmt(r.hopCpuUsPerCall, 0)})`}${r.errors ? `  ERRORS ${r.errors}` : ""}\n`,
  );
}

/** Cold: the first use of each of several fresh keys (DB lookup + Argon2id). Warm: one key, from the cache. */
async function keyVerification(env) {
  const { wire, loadConfig } = await import("@mogplex/server");
  const s = await wire({ config: loadConfig(env), migrate: false });
  try {
    const user = await s.identity.findUserByEmail("bench@example.com");
    const teamId = await s.identity.activeTeam(user.id);
    const ctx = { actorType: "system", actorId: null };
    const keys = [];
    for (let i = 0; i < COLD + 1; i++)
      keys.push((await s.gateway.keys.create(user.id, teamId, { name: `k${i}` }, ctx)).key);
    const cold = [];
    for (const key of keys.slice(1)) {
      const t = performance.now();
      if (!(await s.gateway.keys.authenticate(key))) throw new Error("cold verify failed");
      cold.push(performance.now() - t);
    }
    const warmKey = keys[0];
    await s.gateway.keys.authenticate(warmKey);
    const N = 50_000;
    let t = performance.now();
    for (let i = 0; i < N; i++) await s.gateway.keys.authenticate(warmKey);
    const warmUs = ((performance.now() - t) * 1000) / N;
    t = performance.now();
    for (let i = 0; i < N; i++) createHash("sha256").update(warmKey).digest();
    const shaUs = ((performance.now() - t) * 1000) / N;
    cold.sort((a, b) => a - b);
    return {
      coldMsMedian: cold[Math.floor(cold.length / 2)],
      coldMsMax: cold.at(-1),
      warmUs,
      sha256Us: shaUs,
      coldSamples: cold.length,
    };
  } finally {
    await s.close();
  }
}

async function main() {
  const b = await prepareBackend("sqlite");
  cleanups.push(b.cleanup);
  const env = { ...b.env, MOGPLEX_GATEWAY_KEY_CACHE_TTL_MS: "3600000", MOGPLEX_IP_RATE_LIMIT: HUGE_LIMIT };
  await createFixtures(env, b.dir);
  const up = await startUpstream(cleanups);
  const { gatewayAdmin } = await import("@mogplex/server");
  await gatewayAdmin.addMcpServer(env, {}, { team: "bench", name: "everything", url: up.url });
  const key = await gatewayAdmin.createGatewayKey(
    env,
    {},
    { email: "bench@example.com", name: "bench", rateLimitRps: "100000" },
  );
  const mog = await spawnReady(MOGPLEX_BIN, ["serve", "--host", "127.0.0.1", "--port", "0"], {
    env,
    nodeArgs: profileArgs(),
    ready: /mogplex listening on (http:\/\/\S+)/,
  });
  cleanups.push(mog.stop);
  const base = mog.match[1];

  const proxy = await spawnReady(join(BENCH_DIR, "lib", "bare-proxy.mjs"), [up.url], {
    env: { PATH: process.env.PATH },
    ready: /bare proxy listening on (\d+)/,
  });
  cleanups.push(proxy.stop);

  const targets = {
    direct: { url: up.url, headers: {}, tool: "echo", serverPids: [up.pid] },
    // Not a target: the floor any extra HTTP hop costs on this machine (see the README).
    bareProxy: {
      url: `http://127.0.0.1:${proxy.match[1]}/mcp`,
      headers: {},
      tool: "echo",
      serverPids: [proxy.child.pid, up.pid],
      hopPids: [proxy.child.pid],
    },
    gateway: {
      url: `${base}/mcp`,
      headers: { Authorization: `Bearer ${key}` },
      tool: "everything__echo",
      serverPids: [mog.child.pid, up.pid],
      hopPids: [mog.child.pid],
    },
  };
  const rounds = {
    direct: { seq: [], par: [] },
    gateway: { seq: [], par: [] },
    bareProxy: { seq: [], par: [] },
  };
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order so no path always runs on a cooler or hotter machine.
    const order = ["direct", "gateway", "bareProxy"];
    for (const which of [...order.slice(r % 3), ...order.slice(0, r % 3)]) {
      const seq = await mcpLoad({ ...targets[which], clients: 1, warmup: 300, calls: SEQ });
      logRow(`round ${r + 1} ${which} (1 client)`, seq);
      const par = await mcpLoad({ ...targets[which], clients: CLIENTS, warmup: 500, calls: CALLS });
      logRow(`round ${r + 1} ${which} (${CLIENTS} clients)`, par);
      rounds[which].seq.push(seq);
      rounds[which].par.push(par);
    }
  }
  await mog.stop();
  await proxy.stop();
  process.stderr.write("  key verification…\n");
  const verify = await keyVerification(env);
  await up.stop();

  // Best round per path: on a shared machine noise only ever slows a run down.
  const bestLatency = (list) => list.reduce((a, x) => (x.latencyMs.p50 < a.latencyMs.p50 ? x : a));
  const bestRps = (list) => list.reduce((a, x) => (x.rps > a.rps ? x : a));
  const d = { seq: bestLatency(rounds.direct.seq), par: bestRps(rounds.direct.par) };
  const g = { seq: bestLatency(rounds.gateway.seq), par: bestRps(rounds.gateway.par) };
  const p = { seq: bestLatency(rounds.bareProxy.seq), par: bestRps(rounds.bareProxy.par) };
  const valid = [
    ...rounds.direct.seq,
    ...rounds.direct.par,
    ...rounds.gateway.seq,
    ...rounds.gateway.par,
  ].every((x) => x.errors === 0 && !x.timedOut && x.calls > 0);
  const addedP50 = g.seq.latencyMs.p50 - d.seq.latencyMs.p50;
  const addedP99 = g.seq.latencyMs.p99 - d.seq.latencyMs.p99;
  const ratio = g.par.rps / d.par.rps;
  const result = {
    upstream: "server-everything streamableHttp (127.0.0.1)",
    clients: CLIENTS,
    direct: d,
    gateway: g,
    addedLatencyMs: { p50: addedP50, p99: addedP99 },
    bareProxy: p,
    bareProxyAddedLatencyMs: {
      p50: p.seq.latencyMs.p50 - d.seq.latencyMs.p50,
      p99: p.seq.latencyMs.p99 - d.seq.latencyMs.p99,
    },
    bareProxyThroughputRatio: p.par.rps / d.par.rps,
    throughputRatio: ratio,
    targets: { addedP50Ms: TARGET_ADDED_P50_MS, throughputRatio: TARGET_RATIO },
    meetsTargets: {
      addedP50: valid && addedP50 <= TARGET_ADDED_P50_MS,
      throughput: valid && ratio >= TARGET_RATIO,
    },
    keyVerification: verify,
    valid,
    rounds,
  };
  const file = writeResults(NAME, { machine: machineInfo(), results: [result] });
  const line = (label, x, vs, target) => [
    label,
    fmt(x.rps, 0),
    fmt(x.latencyMs.p50, 3),
    fmt(x.latencyMs.p99, 3),
    vs,
    target,
  ];
  const added = (x) =>
    `+${fmt(x.seq.latencyMs.p50 - d.seq.latencyMs.p50, 3)} / +${fmt(x.seq.latencyMs.p99 - d.seq.latencyMs.p99, 3)} ms`;
  const rows = [
    line("direct (1 client)", d.seq, "", ""),
    line(
      "gateway (1 client)",
      g.seq,
      added(g),
      `p50 ≤ +${TARGET_ADDED_P50_MS} ms: ${result.meetsTargets.addedP50 ? "ok" : "MISSED"}`,
    ),
    line("bare proxy (1 client)", p.seq, added(p), "floor (diagnostic)"),
    line(`direct (${CLIENTS} clients)`, d.par, "", ""),
    line(
      `gateway (${CLIENTS} clients)`,
      g.par,
      `${fmt(ratio, 2)}× direct`,
      `≥ ${TARGET_RATIO}×: ${result.meetsTargets.throughput ? "ok" : "MISSED"}`,
    ),
    line(
      `bare proxy (${CLIENTS} clients)`,
      p.par,
      `${fmt(p.par.rps / d.par.rps, 2)}× direct`,
      "floor (diagnostic)",
    ),
  ];
  process.stdout.write(
    `\n${table(["path", "calls/s", "p50 ms", "p99 ms", "gateway vs direct", "target"], rows)}\n\n` +
      `gateway key verification: cold ${fmt(verify.coldMsMedian, 1)} ms (median of ${verify.coldSamples}, DB + Argon2id), ` +
      `warm ${fmt(verify.warmUs, 2)} µs (cache; SHA-256 of the key alone ${fmt(verify.sha256Us, 2)} µs)\n` +
      `CPU of the hop alone, 1 client: gateway ${fmt(g.seq.hopCpuUsPerCall, 0)} µs/call, ` +
      `bare proxy ${fmt(p.seq.hopCpuUsPerCall, 0)} µs/call (/proc, 10 ms ticks)\n` +
      `${valid ? "" : "INVALID: some calls failed or timed out\n"}results: ${file}\n`,
  );
}

try {
  await main();
} finally {
  await cleanups.runAll();
}
