// End-to-end: the scale-out shape — `mogplex admin` and `mogplex serve` on a fresh PostgreSQL database + Redis.
// Relies on ensureBuilt() (support.ts) to rebuild dist when sources are newer; scripts/test.sh builds first anyway.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  cleanEnv,
  cleanup,
  ensureBuilt,
  lines,
  runCli,
  type Served,
  serve,
  tempDir,
} from "./support.js";

// The same variables scripts/test.sh and the server harness use; the CLI gets a database of its own.
const PG_URL = process.env.MOGPLEX_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = process.env.MOGPLEX_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const PASSWORD = "correct horse battery staple";
const EMAIL = "ops@example.test";
const SECRET_NAMES = [
  "MOGPLEX_ENCRYPTION_KEY",
  "MOGPLEX_SIGNING_SECRET",
  "MOGPLEX_AUTH_SECRET",
  "MOGPLEX_REGISTRY_SIGNING_KEY",
  "MOGPLEX_REGISTRY_URL_SECRET",
];

const database = `mogplex_e2e_${randomBytes(6).toString("hex")}`;
let created = false;
let home: string;
let base: Record<string, string>;
let env: Record<string, string>;
let server: Served | undefined;

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const admin = (args: string[], input?: string) => runCli(["admin", ...args], { env, input });

beforeAll(async () => {
  ensureBuilt();
  await adminQuery(`create database ${database}`);
  created = true;
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  home = tempDir();
  base = cleanEnv(home, { DATABASE_URL: url.toString(), REDIS_URL });
  env = { ...base };
  for (const name of SECRET_NAMES) env[name] = randomBytes(32).toString("base64url");
}, 120_000);

afterAll(async () => {
  try {
    if (server) expect(await server.stop()).toEqual({ code: 0, signal: null });
  } finally {
    cleanup();
    if (created) await adminQuery(`drop database if exists ${database} with (force)`);
  }
}, 60_000);

describe("mogplex on PostgreSQL + Redis", { timeout: 120_000 }, () => {
  it("serve without the server secrets stops with one line naming every missing variable", async () => {
    const r = await runCli(["serve", "--port", "0"], { env: base });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(lines(r.stderr)).toHaveLength(1);
    for (const name of SECRET_NAMES) expect(r.stderr).toContain(name);
    expect(r.stdout).toBe("");

    const partial = await runCli(["serve", "--port", "0"], {
      env: { ...base, MOGPLEX_ENCRYPTION_KEY: env.MOGPLEX_ENCRYPTION_KEY as string },
    });
    expect(partial.code).not.toBe(0);
    expect(lines(partial.stderr)).toHaveLength(1);
    expect(partial.stderr).toContain("MOGPLEX_SIGNING_SECRET");
    expect(partial.stderr).toContain("MOGPLEX_AUTH_SECRET");
    expect(partial.stderr).not.toContain("MOGPLEX_ENCRYPTION_KEY");
  });

  it("admin migrate applies every migration once, then reports the database up to date", async () => {
    const first = await admin(["migrate"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied \S+/);
    const again = await admin(["migrate"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("database is up to date\n");
  });

  it("serve, create-user, create-token, add-repo, a run over HTTP, audit verify intact", async () => {
    const s = await serve([], env);
    server = s;
    expect(s.stdout()).toMatch(/\/setup#token=setup_[0-9A-Za-z]{32}$/m);
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(200);

    const user = await admin(["create-user", "--email", EMAIL, "--team", "ops", "--role", "admin"], PASSWORD);
    expect(user.code).toBe(0);
    expect(user.stdout).toMatch(/^created user \S+ \(ops@example\.test\) as admin of team ops/);
    expect(await (await fetch(`${s.url}/api/setup`)).json()).toEqual({ needsSetup: false });
    const dup = await admin(["create-user", "--email", EMAIL, "--team", "ops"], PASSWORD);
    expect(dup.code).not.toBe(0);
    expect(lines(dup.stderr), dup.stderr).toHaveLength(1);

    const tok = await admin(["create-token", "--email", EMAIL, "--name", "ci", "--scopes", "read,write"]);
    expect(tok.code).toBe(0);
    expect(tok.stdout).toMatch(/^mog_[0-9A-Za-z]{32}\n$/);
    const token = tok.stdout.trim();
    const repo = await admin([
      "add-repo",
      "--team",
      "ops",
      "--name",
      "ops/service",
      "--path",
      "https://example.invalid/ops/service.git",
    ]);
    expect(repo.code).toBe(0);
    const repoId = repo.stdout.trim();

    const listed = await api<{ repos: Array<{ id: string }> }>(s.url, token, "GET", "/repos");
    expect(listed.body.data.repos.map((r) => r.id)).toEqual([repoId]);
    const body = { repoId, prompt: "Add a health check" };
    const started = await api<{ run: { id: string; status: string; source: string }; replayed: boolean }>(
      s.url,
      token,
      "POST",
      "/runs",
      body,
      { "idempotency-key": "pg-run-1" },
    );
    expect(started.status).toBe(202);
    expect(started.body.data.run).toMatchObject({ status: "pending", source: "api" });
    const replay = await api<{ run: { id: string }; replayed: boolean }>(
      s.url,
      token,
      "POST",
      "/runs",
      body,
      {
        "idempotency-key": "pg-run-1",
      },
    );
    expect(replay.body.data).toMatchObject({ replayed: true, run: { id: started.body.data.run.id } });

    const runId = started.body.data.run.id;
    const cancelled = await api<{ run: { status: string }; alreadyTerminal: boolean }>(
      s.url,
      token,
      "POST",
      `/runs/${runId}/cancel`,
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.data).toMatchObject({ alreadyTerminal: false, run: { status: "cancelled" } });
    const got = await api<{ run: { status: string } }>(s.url, token, "GET", `/runs/${runId}`);
    expect(got.body.data.run.status).toBe("cancelled");

    const verify = await admin(["audit", "verify"]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^audit log intact: \d+ rows verified\n$/);
    expect(Number(/(\d+) rows/.exec(verify.stdout)?.[1])).toBeGreaterThanOrEqual(4);

    // Scale-out keeps nothing on local disk: no data directory, no generated secrets.
    expect(existsSync(join(home, ".mogplex"))).toBe(false);
  });

  it("backup is refused on PostgreSQL with one line pointing at pg_dump", async () => {
    const r = await admin(["backup", join(home, "x.db")]);
    expect(r.code).not.toBe(0);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain("pg_dump");
    expect(existsSync(join(home, "x.db"))).toBe(false);
  });
});
