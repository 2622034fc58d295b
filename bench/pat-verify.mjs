// pat-verify: the cost of resolving a bearer token on every API request. Times
// `services.tokens.authenticate(token)` in a sequential loop against a baseline of SHA-256 hashing the
// token alone in the same loop shape, on each database backend. A diagnostic row runs the same lookup as
// one hand-written, prepared SQL statement, to split driver/query-builder cost from database cost.
//
//   node bench/pat-verify.mjs [--db sqlite,postgres] [--n 20000] [--rounds 3]
import { createHash } from "node:crypto";
import {
  cleanupStack,
  createFixtures,
  fmt,
  machineInfo,
  numberArg,
  prepareBackend,
  selectedBackends,
  table,
  writeResults,
} from "./lib/common.mjs";

const NAME = "pat-verify";

const arg = numberArg;
const N = arg("n", 20_000);
const WARMUP = arg("warmup", 2_000);
const ROUNDS = arg("rounds", 3);
// A loop that runs longer stops and reports over what it completed (marked "capped").
const LOOP_DEADLINE_MS = 5_000;
const WARMUP_DEADLINE_MS = 3_000;

const cleanups = cleanupStack();

const sha256 = (s) => createHash("sha256").update(s).digest("hex");

const LOOKUP = (param) =>
  "select t.id, t.user_id, t.team_id, t.token_hash, t.scopes, t.expires_at, t.revoked_at, m.role " +
  "from personal_access_tokens as t inner join team_members as m " +
  "on m.team_id = t.team_id and m.user_id = t.user_id " +
  `where t.token_hash = ${param}`;

/** Awaits `op` n times in a plain loop; returns µs per op over the iterations it completed. */
async function time(op, n, deadlineMs = LOOP_DEADLINE_MS) {
  const start = performance.now();
  const stopAt = start + deadlineMs;
  let i = 0;
  while (i < n) {
    await op();
    i++;
    if ((i & 255) === 0 && performance.now() > stopAt) break;
  }
  return { usPerOp: ((performance.now() - start) * 1000) / i, ops: i, capped: i < n };
}

async function benchBackend(backend) {
  const b = await prepareBackend(backend);
  if (b.skipped) return { backend, skipped: b.skipped };
  cleanups.push(b.cleanup);
  const { token } = await createFixtures(b.env, b.dir);
  const { wire, loadConfig } = await import("@mogplex/server");
  const s = await wire({ config: loadConfig(b.env) });
  let closing;
  const close = () => {
    closing ??= s.close();
    return closing;
  };
  cleanups.push(close);

  const principal = await s.tokens.authenticate(token);
  if (!principal) throw new Error("authenticate() rejected the freshly minted token");

  let raw;
  if (s.db.sqlite) {
    const stmt = s.db.sqlite.prepare(LOOKUP("?"));
    raw = async () => stmt.get(sha256(token));
  } else if (s.db.pool) {
    const pool = s.db.pool;
    const query = { name: "bench_pat_lookup", text: LOOKUP("$1") };
    raw = async () => (await pool.query({ ...query, values: [sha256(token)] })).rows[0];
  }
  if (!(await raw())) throw new Error("hand-written lookup found no row");

  const ops = {
    sha256: async () => sha256(token),
    rawLookup: raw,
    authenticate: () => s.tokens.authenticate(token),
  };
  const runs = { sha256: [], rawLookup: [], authenticate: [] };
  for (const op of Object.values(ops)) await time(op, WARMUP, WARMUP_DEADLINE_MS);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? Object.keys(ops) : Object.keys(ops).reverse();
    for (const k of order) runs[k].push(await time(ops[k], N));
  }
  await close();
  await b.cleanup();

  // Fastest round per op: noise on a shared machine only ever adds time.
  const best = (list) => list.reduce((a, x) => (x.usPerOp < a.usPerOp ? x : a));
  const out = { backend, n: N, rounds: runs };
  for (const k of Object.keys(ops)) out[k] = best(runs[k]);
  out.ratio = out.authenticate.usPerOp / out.sha256.usPerOp;
  out.ratioVsRawLookup = out.authenticate.usPerOp / out.rawLookup.usPerOp;
  process.stderr.write(
    `  ${backend}: sha256 ${fmt(out.sha256.usPerOp, 2)} µs, lookup ${fmt(out.rawLookup.usPerOp, 1)} µs,` +
      ` authenticate ${fmt(out.authenticate.usPerOp, 1)} µs\n`,
  );
  return out;
}

const results = [];
try {
  const backends = [...new Set(selectedBackends().map((x) => (x === "postgres+redis" ? "postgres" : x)))];
  for (const backend of backends) {
    process.stderr.write(`${NAME}: ${backend}…\n`);
    results.push(await benchBackend(backend));
  }
} finally {
  await cleanups.runAll();
}

const rows = results.map((r) =>
  r.skipped
    ? [r.backend, "skipped:", r.skipped, "", "", ""]
    : [
        r.backend,
        fmt(r.sha256.usPerOp, 2),
        fmt(r.rawLookup.usPerOp, 1),
        fmt(r.authenticate.usPerOp, 1) + (r.authenticate.capped ? " capped" : ""),
        `${fmt(r.ratio, 0)}×`,
        `${fmt(r.ratioVsRawLookup, 2)}×`,
      ],
);
process.stdout.write(
  `\n${NAME}: µs per op, sequential awaited loop, N=${N} after ${WARMUP} warm-up, fastest of ${ROUNDS} rounds\n` +
    "ratio = authenticate ÷ sha256 of the token; vs lookup = authenticate ÷ the same SELECT hand-prepared\n\n" +
    table(["backend", "sha256 µs", "lookup µs", "authenticate µs", "ratio", "vs lookup"], rows) +
    "\n",
);
const file = writeResults(NAME, {
  machine: machineInfo(),
  settings: { n: N, warmup: WARMUP, rounds: ROUNDS },
  results,
});
process.stdout.write(`results: bench/results/${file.split("/").pop()}\n`);
