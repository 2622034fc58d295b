// Shared bench helpers: temp dirs, throwaway PostgreSQL databases, fixtures, stats, tables and results.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT_DIR = dirname(BENCH_DIR);
export const RESULTS_DIR = join(BENCH_DIR, "results");
export const MOGPLEX_BIN = join(ROOT_DIR, "apps", "cli", "dist", "bin", "mogplex.js");

/** Where the throwaway databases are created from; only ever a loopback server. */
export const PG_ADMIN_URL = process.env.MOGPLEX_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.MOGPLEX_BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/13";

/**
 * Per-PAT and per-IP limits that never throttle a bench run. The window is short on purpose: the limiter
 * keeps a log of every hit inside its window, so a long window with a huge limit would make each request
 * pay for every earlier request of the run (see README) instead of measuring a realistic request.
 */
export const HUGE_LIMIT = process.env.MOGPLEX_BENCH_LIMIT ?? "100000000/100ms";
/** The same limit over a 60 s window: api-throughput's diagnostic row for the hit-log cost. */
export const LONG_WINDOW_LIMIT = "100000000/60s";

/** Which database backends to run: `--db sqlite,postgres` or MOGPLEX_BENCH_DBS; default both. */
export function selectedBackends(argv = process.argv.slice(2)) {
  const i = argv.indexOf("--db");
  const raw = i >= 0 ? argv[i + 1] : process.env.MOGPLEX_BENCH_DBS;
  const list = (raw ?? "sqlite,postgres")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const b of list) {
    if (!["sqlite", "postgres", "postgres+redis"].includes(b))
      throw new Error(`unknown backend ${b}: expected sqlite, postgres or postgres+redis`);
  }
  return list;
}

export function assertLoopback(url) {
  const host = new URL(url).hostname;
  if (!["127.0.0.1", "localhost", "[::1]", "::1"].includes(host))
    throw new Error(`benches only target loopback; refusing ${host}`);
}

const secret = () => randomBytes(32).toString("hex");

/**
 * A fresh, isolated environment for one backend: temp data dir, and for PostgreSQL a brand-new database
 * `mogplex_bench_<random>` that `cleanup()` drops again. Returns null (with a reason) if PostgreSQL is down.
 */
export async function prepareBackend(backend) {
  const dir = mkdtempSync(join(tmpdir(), "mogplex-bench-"));
  const env = {
    ...process.env,
    MOGPLEX_HOME: join(dir, "home"),
    MOGPLEX_DATA_DIR: join(dir, "data"),
    MOGPLEX_LOG_LEVEL: "silent",
    MOGPLEX_PAT_RATE_LIMIT: HUGE_LIMIT,
    MOGPLEX_IP_RATE_LIMIT: HUGE_LIMIT,
    MOGPLEX_SHUTDOWN_GRACE_MS: "2000",
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  let dropDb = async () => {};
  if (backend.startsWith("postgres")) {
    assertLoopback(PG_ADMIN_URL);
    const { default: pg } = await import("pg");
    const name = `mogplex_bench_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
    try {
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
    } catch (err) {
      await admin.end().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      return { skipped: `PostgreSQL unavailable (${err.message})` };
    }
    await admin.end();
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.toString();
    env.MOGPLEX_ENCRYPTION_KEY = secret();
    env.MOGPLEX_SIGNING_SECRET = secret();
    env.MOGPLEX_AUTH_SECRET = secret();
    env.MOGPLEX_REGISTRY_SIGNING_KEY = randomBytes(32).toString("base64");
    env.MOGPLEX_REGISTRY_URL_SECRET = secret();
    dropDb = async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    };
  }
  if (backend === "postgres+redis") {
    assertLoopback(REDIS_URL);
    env.REDIS_URL = REDIS_URL;
  }
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    try {
      await dropDb();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return { backend, env, dir, cleanup };
}

/** One user (owner of team `bench`), one read+write token and one repo, through the admin commands. */
export async function createFixtures(env, dir) {
  const { admin } = await import("@mogplex/server");
  const email = "bench@example.com";
  await admin.createUser(env, {}, { email, team: "bench", password: `bench-${secret()}` });
  const token = await admin.createToken(env, {}, { email, name: "bench", scopes: "read,write" });
  const repoDir = join(dir, "repo.git");
  mkdirSync(repoDir);
  await run("git", ["init", "-q", "--bare", repoDir]);
  const repoId = await admin.addRepo(env, {}, { team: "bench", name: "bench/repo", path: repoDir });
  return { email, token, repoId };
}

/** Child processes still running, so an interrupt can end them (by pid) before it exits. */
const children = new Set();
function track(child) {
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const p = track(spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts }));
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.stderr.on("data", (d) => {
      err += d;
    });
    p.on("error", reject);
    p.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.trim()}`)),
    );
  });
}

/**
 * Spawns a child node process and waits for a stdout line matching `ready`; returns the match and a
 * `stop()` that sends SIGTERM and escalates to SIGKILL after a grace period.
 */
/** MOGPLEX_BENCH_PROFILE=<dir>: node flags that make a spawned mogplex write a V8 CPU profile there on exit. */
export function profileArgs() {
  const dir = process.env.MOGPLEX_BENCH_PROFILE;
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
}

export function spawnReady(script, args, { env, ready, timeoutMs = 30_000, nodeArgs = [] }) {
  const child = track(
    spawn(process.execPath, [...nodeArgs, script, ...args], { env, stdio: ["ignore", "pipe", "pipe"] }),
  );
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  };
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} not ready within ${timeoutMs}ms: ${stderr.trim()}`));
    }, timeoutMs);
    const onData = (d) => {
      buf += d;
      const m = ready.exec(buf);
      if (m) {
        clearTimeout(timer);
        child.stdout.off("data", onData);
        child.stdout.resume();
        resolve({ child, match: m, stop });
      }
    };
    child.stdout.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready: ${stderr.trim()}`));
    });
  });
}

/** Runs `bench/lib/load.mjs` in its own process and returns its JSON report. */
export async function runLoad(opts) {
  const script = join(BENCH_DIR, "lib", "load.mjs");
  const out = await run(process.execPath, [script, JSON.stringify(opts)]);
  return JSON.parse(out);
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function fmt(n, digits = 1) {
  if (n === null || n === undefined || Number.isNaN(n)) return "—";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A plain aligned table; first column left-aligned, the rest right-aligned. */
export function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join(
    "\n",
  );
}

export function writeResults(name, data) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ bench: name, at: new Date().toISOString(), ...data }, null, 2)}\n`);
  return file;
}

export function machineInfo() {
  return { node: process.version, platform: process.platform, arch: process.arch };
}

/**
 * Cleanups run last-in first-out by `runAll()` (from a `finally`) and also on SIGINT/SIGTERM, so an
 * interrupted bench still stops its servers, drops its database and removes its temp dir.
 */
export function cleanupStack() {
  const stack = [];
  let running;
  // One shared pass: the `finally` of an interrupted bench awaits the same cleanup as the signal handler.
  const runAll = () => {
    running ??= (async () => {
      for (let fn = stack.pop(); fn; fn = stack.pop()) {
        try {
          await fn();
        } catch {
          // best effort: keep cleaning the rest
        }
      }
    })();
    return running;
  };
  const handler = (sig) => {
    void runAll().then(() => process.exit(sig === "SIGINT" ? 130 : 143));
    for (const c of children) c.kill("SIGTERM");
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
  return { push: (fn) => stack.push(fn), runAll };
}

/** `--name N` from the command line: a positive number (whole when asked), else `fallback`. */
export function numberArg(name, fallback, { whole = false } = {}) {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  if (!Number.isFinite(v) || v <= 0) return fallback;
  return whole ? Math.floor(v) : v;
}
