// The scale-out cluster fixture: a private PostgreSQL + Redis (services.ts), `mogplex admin migrate` once, N
// `mogplex serve` replicas (MOGPLEX_WORKER_CONCURRENCY=0: they execute no runs) and M `mogplex worker`
// processes of the built CLI, all with one shared configuration, behind a round-robin front (front.mjs), with
// the scripted model double as their model provider. Every process is a group leader killed by group, and dies
// with this process (setpriv --pdeathsig) even if afterAll never runs.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, type CliResult, ensureBuilt } from "../../../../cli/src/e2e/support.js";
import { type ScriptedModel, startScriptedModel } from "../../engine/test-support/scripted-model.js";
import { type Front, startFront } from "./front.mjs";
import {
  exited,
  freePort,
  guarded,
  killGroup,
  type PrivatePostgres,
  type PrivateRedis,
  sleep,
  startPrivatePostgres,
  startPrivateRedis,
} from "./services.js";

export const API = "/api/v1/mogplex";
export const DATABASE = "mogplex";
const PASSWORD = "cluster owner password 1";

export interface Proc {
  name: string;
  child: ChildProcess;
  /** Replicas: the address it listens on (not the public URL, which is the front's). */
  url: string;
  /** Workers: the id it printed. */
  id: string;
  stdout(): string;
  stderr(): string;
  alive(): boolean;
  /** Signals the process group; resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface ClusterOptions {
  replicas?: number;
  workers?: number;
  /** Extra configuration, given to every replica and worker alike. */
  env?: Record<string, string>;
}

export interface Cluster {
  pg: PrivatePostgres;
  redis: PrivateRedis;
  model: ScriptedModel;
  front: Front;
  /** The configuration every replica, worker and admin command shares (each process adds its data dir). */
  env: Record<string, string>;
  replicas: Proc[];
  workers: Proc[];
  owner: { email: string; password: string; token: string };
  /** One statement against the cluster's database (its own short-lived connection). */
  db<T extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** A local bare repository registered with team `ops`. */
  repoId: string;
  tempDir(prefix: string): string;
  admin(args: string[], input?: string): Promise<CliResult>;
  /** A new user of team `ops` (admin create-user) and a read+write PAT of theirs. */
  user(email: string): Promise<{ email: string; password: string; token: string }>;
  /** Starts a replica; with `replace`, it takes that index (after the old one is gone). */
  startReplica(replace?: number): Promise<Proc>;
  startWorker(): Promise<Proc>;
  /** Any `mogplex` command as a tracked background process, with the shared configuration plus `env`. */
  spawn(name: string, args: string[], env?: Record<string, string>): Proc;
  close(): Promise<void>;
}

/** A bare repository (the runs' remote) whose `main` holds a README. */
function bareRepo(parent: string): string {
  const bare = join(parent, "app.git");
  const work = join(parent, "seed");
  const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", args, {
      cwd,
      stdio: "ignore",
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: parent,
        GIT_AUTHOR_NAME: "Cluster",
        GIT_AUTHOR_EMAIL: "cluster@example.test",
        GIT_COMMITTER_NAME: "Cluster",
        GIT_COMMITTER_EMAIL: "cluster@example.test",
      },
    });
  git(parent, "init", "-q", "--bare", "-b", "main", bare);
  git(parent, "init", "-q", "-b", "main", work);
  writeFileSync(join(work, "README.md"), "# app\n");
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "initial");
  git(work, "push", "-q", bare, "main");
  return bare;
}

const clean = (extra: Record<string, string>, home: string) => ({
  PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
  HOME: home,
  ...extra,
});

/** Spawns the built CLI in its own process group and collects its output. */
function spawnMogplex(name: string, args: string[], env: Record<string, string>): Proc & { lines: string[] } {
  const g = guarded(process.execPath, [BIN, ...args]);
  const child = spawn(g.cmd, g.args, {
    env,
    cwd: env.HOME,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (s: string) => {
    out += s;
  });
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    err = (err + s).slice(-20_000);
  });
  return {
    name,
    child,
    url: "",
    id: "",
    lines: [],
    stdout: () => out,
    stderr: () => err,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill(signal = "SIGKILL") {
      killGroup(child, signal);
      await exited(child, 20_000);
    },
  };
}

export function waitForLine(p: Proc, re: RegExp, ms = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = re.exec(p.stdout());
      if (m) {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve(m);
      } else if (!p.alive()) {
        clearInterval(timer);
        clearTimeout(deadline);
        reject(new Error(`${p.name} exited (${p.child.exitCode ?? p.child.signalCode}):\n${p.stderr()}`));
      }
    };
    const timer = setInterval(check, 25);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`${p.name} did not print ${re} in ${ms} ms:\n${p.stdout()}\n${p.stderr()}`));
    }, ms);
  });
}

function runOnce(args: string[], env: Record<string, string>, input = "", ms = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const g = guarded(process.execPath, [BIN, ...args]);
    const child = spawn(g.cmd, g.args, { env, cwd: env.HOME, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`mogplex ${args.join(" ")} did not finish:\n${stderr}`));
    }, ms);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

export async function startCluster(o: ClusterOptions = {}): Promise<Cluster> {
  ensureBuilt();
  const temps: string[] = [];
  const tempDir = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    temps.push(d);
    return d;
  };
  const procs: Proc[] = [];
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const p of procs) killGroup(p.child, "SIGKILL");
    await Promise.all(procs.map((p) => exited(p.child, 10_000).catch(() => undefined)));
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
  };
  try {
    const pg = await startPrivatePostgres();
    closers.push(() => pg.destroy());
    const redis = await startPrivateRedis();
    closers.push(() => redis.destroy());
    const model = await startScriptedModel();
    closers.push(() => model.close());
    const front = await startFront();
    closers.push(() => front.close());
    await pg.query(`create database ${DATABASE}`);

    const home = tempDir("mogplex-cluster-home-");
    const env = clean(
      {
        DATABASE_URL: pg.url(DATABASE),
        REDIS_URL: redis.url,
        MOGPLEX_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
        MOGPLEX_SIGNING_SECRET: randomBytes(32).toString("base64url"),
        MOGPLEX_AUTH_SECRET: randomBytes(32).toString("base64url"),
        MOGPLEX_REGISTRY_SIGNING_KEY: randomBytes(32).toString("base64url"),
        MOGPLEX_REGISTRY_URL_SECRET: randomBytes(32).toString("base64url"),
        MOGPLEX_PUBLIC_URL: front.url,
        MOGPLEX_LOG_LEVEL: "warn",
        MOGPLEX_WORKER_CONCURRENCY: "0",
        MOGPLEX_WORKER_POLL_MS: "200",
        MOGPLEX_SHUTDOWN_GRACE_MS: "2000",
        MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
        MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
        // Everything here comes from one address; the per-IP baseline isn't what these suites measure.
        MOGPLEX_IP_RATE_LIMIT: "100000/60s",
        MOGPLEX_SIGNIN_RATE_LIMIT: "1000/60s",
        MOGPLEX_TOKEN_CREATE_RATE_LIMIT: "1000/60s",
        ...o.env,
      },
      home,
    );
    const withDataDir = () => ({ ...env, MOGPLEX_DATA_DIR: tempDir("mogplex-cluster-data-") });
    const admin = (args: string[], input?: string) => runOnce(["admin", ...args], withDataDir(), input);

    const migrated = await admin(["migrate"]);
    if (migrated.code !== 0) throw new Error(`admin migrate failed:\n${migrated.stderr}`);

    let replicaCount = 0;
    const replicas: Proc[] = [];
    const startReplica = async (replace?: number): Promise<Proc> => {
      for (let tries = 0; ; tries++) {
        const port = await freePort();
        const p = spawnMogplex(
          `replica-${replace ?? replicaCount++}`,
          ["serve", "--host", "127.0.0.1", "--port", String(port)],
          withDataDir(),
        );
        procs.push(p);
        try {
          await waitForLine(p, /^mogplex listening on /m);
        } catch (err) {
          // Another process took the port between our probe and the replica's bind: try another.
          if (tries < 3 && /address already in use/.test(p.stderr())) continue;
          throw err;
        }
        p.url = `http://127.0.0.1:${port}`;
        if (replace !== undefined) replicas[replace] = p;
        else replicas.push(p);
        front.setUpstreams(replicas.filter((r) => r.alive()).map((r) => r.url));
        return p;
      }
    };
    const workers: Proc[] = [];
    let workerCount = 0;
    const startWorker = async (): Promise<Proc> => {
      const p = spawnMogplex(`worker-${workerCount++}`, ["worker", "--concurrency", "1"], withDataDir());
      procs.push(p);
      p.id = (await waitForLine(p, /^mogplex worker (\S+) started/m))[1] as string;
      workers.push(p);
      return p;
    };

    const createUser = async (email: string, role: string) => {
      const r = await admin(["create-user", "--email", email, "--team", "ops", "--role", role], PASSWORD);
      if (r.code !== 0) throw new Error(`create-user failed:\n${r.stderr}`);
      const t = await admin([
        "create-token",
        "--email",
        email,
        "--name",
        "cluster",
        "--scopes",
        "read,write",
      ]);
      if (t.code !== 0) throw new Error(`create-token failed:\n${t.stderr}`);
      return { email, password: PASSWORD, token: t.stdout.trim() };
    };
    const addRepo = async () => {
      const r = await admin(["add-repo", "--team", "ops", "--name", "ops/app", "--path", bareRepo(home)]);
      if (r.code !== 0) throw new Error(`add-repo failed:\n${r.stderr}`);
      return r.stdout.trim();
    };
    // Everything after the migration at once: the CLI's start-up is most of what each step costs.
    const [owner, repoId] = await Promise.all([
      createUser("owner@example.test", "owner"),
      // add-repo needs the team that create-user makes.
      (async () => {
        while ((await pg.query("select 1 from teams", [], DATABASE)).length === 0) await sleep(100);
        return addRepo();
      })(),
      ...Array.from({ length: o.replicas ?? 3 }, () => startReplica()),
      ...Array.from({ length: o.workers ?? 2 }, () => startWorker()),
    ]);

    return {
      pg,
      redis,
      model,
      front,
      env,
      replicas,
      workers,
      owner,
      db: (sql, params) => pg.query(sql, params, DATABASE),
      repoId,
      tempDir,
      admin,
      user: (email) => createUser(email, "member"),
      startReplica,
      startWorker,
      spawn(name, args, extra = {}) {
        const p = spawnMogplex(name, args, { ...withDataDir(), ...extra });
        procs.push(p);
        return p;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
