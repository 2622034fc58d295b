// cli-startup: wall time of `mogplex --help` and of `mogplex repos list` (against a real `mogplex serve`, its
// own process, SQLite) versus `node -e 0`, interleaved in the same run; median of N (default 20). Reports each
// as a ratio to `node -e 0`, and `repos list` also to a bare `node` doing the same one fetch (so the server's
// own time is in both sides of that second ratio).
//
//   node bench/cli-startup.mjs [--runs 20]
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import {
  assertLoopback,
  cleanupStack,
  createFixtures,
  fmt,
  MOGPLEX_BIN,
  machineInfo,
  numberArg,
  prepareBackend,
  spawnReady,
  table,
  writeResults,
} from "./lib/common.mjs";

const NAME = "cli-startup";

const arg = (name, fallback) => numberArg(name, fallback, { whole: true });
const RUNS = arg("runs", 20);

const cleanups = cleanupStack();

/** One timed run of `node <args>`; the command must succeed. */
function timed(args, env) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const b = await prepareBackend("sqlite");
  cleanups.push(b.cleanup);
  const fx = await createFixtures(b.env, b.dir);
  const mog = await spawnReady(MOGPLEX_BIN, ["serve", "--host", "127.0.0.1", "--port", "0"], {
    env: b.env,
    ready: /mogplex listening on (http:\/\/\S+)/,
  });
  cleanups.push(mog.stop);
  const url = mog.match[1];
  assertLoopback(url);

  const clientEnv = {
    PATH: process.env.PATH,
    HOME: b.dir,
    MOGPLEX_HOME: join(b.dir, "cli-home"),
    MOGPLEX_URL: url,
    MOGPLEX_API_KEY: fx.token,
  };
  const fetchOnce = `const r = await fetch(${JSON.stringify(`${url}/api/v1/mogplex/repos`)}, { headers: { authorization: "Bearer " + process.env.MOGPLEX_API_KEY } }); if (r.status !== 200) process.exit(1); await r.text();`;
  const cases = {
    "node -e 0": ["-e", "0"],
    "node fetch": ["--input-type=module", "-e", fetchOnce],
    help: [MOGPLEX_BIN, "--help"],
    "repos list": [MOGPLEX_BIN, "repos", "list"],
  };
  // One warm-up round (file cache), then interleave so drift hits every case alike.
  for (const args of Object.values(cases)) timed(args, clientEnv);
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of Object.entries(cases)) samples[name].push(timed(args, clientEnv));
  }
  const baseline = median(samples["node -e 0"]);
  const fetchBaseline = median(samples["node fetch"]);
  const results = Object.entries(samples).map(([name, xs]) => {
    const ms = median(xs);
    return {
      name,
      medianMs: ms,
      minMs: Math.min(...xs),
      maxMs: Math.max(...xs),
      ratio: ms / baseline,
      ratioToFetch: name === "repos list" ? ms / fetchBaseline : null,
    };
  });

  process.stdout.write(
    `${table(
      ["command", "median ms", "min", "max", "× node -e 0", "× node fetch"],
      results.map((r) => [
        r.name.startsWith("node") ? r.name : `mogplex ${r.name === "help" ? "--help" : r.name}`,
        fmt(r.medianMs, 1),
        fmt(r.minMs, 1),
        fmt(r.maxMs, 1),
        fmt(r.ratio, 2),
        r.ratioToFetch === null ? "" : fmt(r.ratioToFetch, 2),
      ]),
    )}\n`,
  );
  const file = writeResults(NAME, { machine: machineInfo(), settings: { runs: RUNS }, results });
  process.stdout.write(`→ ${file}\n`);
}

try {
  await main();
} finally {
  await cleanups.runAll();
}
