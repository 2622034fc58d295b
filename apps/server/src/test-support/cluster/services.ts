// Private backing services for the cluster fixture: a fresh PostgreSQL instance (initdb into a temp dir, the
// machine's own binaries) and a redis-server, each on a random loopback port and owned by this process. The
// fault cases stop and restart them; the machine's shared PostgreSQL and Redis are never touched.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A port nothing listens on right now (the kernel's pick, released again). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const hasSetpriv = (() => {
  try {
    execFileSync("setpriv", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Wraps a command so the kernel kills it when this process goes away (setpriv --pdeathsig), even if the
 * test runner is killed before afterAll runs; optionally as another user (PostgreSQL refuses to run as root).
 */
export function guarded(cmd: string, args: string[], asUser?: { uid: number; gid: number }) {
  if (!hasSetpriv) {
    if (asUser) throw new Error("setpriv (util-linux) is needed to run PostgreSQL as a non-root user");
    return { cmd, args };
  }
  const user = asUser ? [`--reuid=${asUser.uid}`, `--regid=${asUser.gid}`, "--clear-groups"] : [];
  return { cmd: "setpriv", args: [...user, "--pdeathsig", "KILL", "--", cmd, ...args] };
}

/** Sends `signal` to the child's whole process group (children are started detached, as group leaders). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export function exited(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pid ${child.pid} still running after ${ms} ms`)), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return join(root, versions[0], "bin");
  try {
    return execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("no PostgreSQL server binaries found (initdb, postgres): install postgresql");
  }
}

export interface PrivatePostgres {
  port: number;
  /** A connection URL for `database` on this instance, as user postgres (trust auth, loopback only). */
  url(database?: string): string;
  /** One statement on a short-lived connection of its own (to `database`, default postgres). */
  query<T extends Record<string, unknown>>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  /** Ends every session except the one asking (what a failover or a proxy restart does to clients). */
  terminateSessions(): Promise<number>;
  /** Fast shutdown: sessions are ended, everything committed stays. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Kills the instance and removes its directory. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), "mogplex-cluster-pg-"));
  const isRoot = process.getuid?.() === 0;
  let asUser: { uid: number; gid: number } | undefined;
  if (isRoot) {
    const id = (f: string) => Number(execFileSync("id", [f, "postgres"], { encoding: "utf8" }).trim());
    asUser = { uid: id("-u"), gid: id("-g") };
    chownSync(dir, asUser.uid, asUser.gid);
  }
  const data = join(dir, "data");
  const init = guarded(
    join(bin, "initdb"),
    [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
      "--no-instructions",
    ],
    asUser,
  );
  execFileSync(init.cmd, init.args, { stdio: "pipe", cwd: dir });
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = "";

  const url = (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const query = async <T extends Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
    database?: string,
  ) => {
    const c = new pg.Client({ connectionString: url(database), connectionTimeoutMillis: 3_000 });
    c.on("error", () => undefined);
    await c.connect();
    try {
      return (await c.query<T>(sql, params)).rows;
    } finally {
      await c.end().catch(() => undefined);
    }
  };

  const start = async () => {
    const p = guarded(
      join(bin, "postgres"),
      [
        ["-D", data, "-p", String(port), "-k", dir],
        ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off"],
        ["-c", "max_connections=200", "-c", "shared_buffers=32MB"],
      ].flat(),
      asUser,
    );
    const c = spawn(p.cmd, p.args, { cwd: dir, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    child = c;
    c.stdout?.resume();
    c.stderr?.setEncoding("utf8").on("data", (s: string) => {
      log = (log + s).slice(-4000);
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`postgres exited (${c.exitCode}):\n${log}`);
      try {
        await query("select 1");
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections:\n${log}`);
        await sleep(100);
      }
    }
  };

  const stop = async () => {
    const c = child;
    if (!c) return;
    child = undefined;
    // SIGINT to the postmaster: fast shutdown (end sessions, roll back open transactions, checkpoint, exit).
    c.kill("SIGINT");
    try {
      await exited(c, 20_000);
    } catch {
      killGroup(c, "SIGKILL");
      await exited(c, 5_000);
    }
  };

  await start();
  return {
    port,
    url,
    query,
    async terminateSessions() {
      const rows = await query<{ pid: number }>(
        "select pid, pg_terminate_backend(pid) from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()",
      );
      return rows.length;
    },
    stop,
    start,
    async destroy() {
      if (child) {
        killGroup(child, "SIGKILL");
        await exited(child, 5_000).catch(() => undefined);
        child = undefined;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** redis-server without persistence on a random loopback port; `start()` after `stop()` reuses the port. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), "mogplex-cluster-redis-"));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const p = guarded("redis-server", [
      ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      ...["--daemonize", "no", "--dir", dir, "--loglevel", "warning"],
    ]);
    const c = spawn(p.cmd, p.args, { cwd: dir, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    child = c;
    let out = "";
    const collect = (s: string) => {
      out = (out + s).slice(-4000);
    };
    c.stdout?.setEncoding("utf8").on("data", collect);
    c.stderr?.setEncoding("utf8").on("data", collect);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`redis-server exited (${c.exitCode}):\n${out}`);
      if (await ping(port)) return;
      if (Date.now() > deadline) throw new Error(`redis-server did not answer:\n${out}`);
      await sleep(50);
    }
  };
  const stop = async () => {
    const c = child;
    if (!c) return;
    child = undefined;
    killGroup(c, "SIGTERM");
    await exited(c, 10_000);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    async destroy() {
      if (child) {
        killGroup(child, "SIGKILL");
        await exited(child, 5_000).catch(() => undefined);
        child = undefined;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One PING over a raw socket: true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port }, () => s.write("PING\r\n"));
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1_000, () => done(false));
    s.on("data", (d) => done(d.toString().startsWith("+PONG")));
    s.on("error", () => done(false));
  });
}
