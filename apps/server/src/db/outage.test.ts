// A lost PostgreSQL connection never ends the process: sessions terminated under the pool (failover, proxy
// restart, idle timeout) and a database that stops answering altogether. In-flight and following requests get
// 503 + Retry-After in the error envelope, /readyz says not ready, and the pool reconnects by itself.
// Always on a real PostgreSQL (like the CLI's PostgreSQL e2e): this is about that driver's failure modes.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import type { Services } from "../services.js";
import { wire } from "../wiring.js";
import { PG_CONNECT_TIMEOUT_MS } from "./connect.js";
import {
  adminQuery,
  databaseUrl,
  PG_URL,
  Relay,
  sessionsOf,
  terminateSessions,
  uniqName,
  until,
} from "./test-support/outage.js";

const BASE = "http://127.0.0.1:4100";
const REPOS = "/api/v1/mogplex/repos";
const schema = uniqName("outage_");
const applicationName = uniqName("mogplex-outage-");
let relay: Relay;
let dataDir: string;
let s: Services;
let app: ReturnType<typeof createApp>;
let token: string;
let cookie: string;

beforeAll(async () => {
  await adminQuery(`create schema ${schema}`);
  relay = await Relay.start();
  dataDir = mkdtempSync(join(tmpdir(), "mogplex-outage-"));
  const config = loadConfig({
    MOGPLEX_DATA_DIR: dataDir,
    MOGPLEX_PUBLIC_URL: BASE,
    MOGPLEX_LOG_LEVEL: "silent",
    // The tests poll until service is back: no limit may answer for the database.
    MOGPLEX_IP_RATE_LIMIT: "100000/60s",
    MOGPLEX_PAT_RATE_LIMIT: "100000/60s",
    MOGPLEX_SIGNIN_RATE_LIMIT: "100000/60s",
    DATABASE_URL: databaseUrl({ schema, applicationName, relay }),
    MOGPLEX_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
    MOGPLEX_SIGNING_SECRET: randomBytes(32).toString("base64url"),
    MOGPLEX_AUTH_SECRET: randomBytes(32).toString("base64url"),
    MOGPLEX_REGISTRY_SIGNING_KEY: randomBytes(32).toString("base64url"),
    MOGPLEX_REGISTRY_URL_SECRET: randomBytes(32).toString("base64url"),
  });
  s = await wire({ config, logger: createLogger("silent") });
  app = createApp(s);
  const email = `${uniqName("u")}@example.test`;
  const password = `pw-${randomBytes(12).toString("hex")}`;
  const user = await s.identity.createUser(
    { email, name: "Ops", password },
    { slug: uniqName("team-"), role: "owner" },
    { actorType: "system", actorId: null },
  );
  const signedIn = await app.request(`${BASE}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: BASE },
    body: JSON.stringify({ email, password }),
  });
  expect(signedIn.status).toBe(200);
  cookie = signedIn.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  token = (
    await s.tokens.create(user.userId, user.teamId, { name: "t" }, { actorType: "system", actorId: null })
  ).token;
});

afterAll(async () => {
  await s?.close();
  await relay?.close();
  await adminQuery(`drop schema if exists ${schema} cascade`);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const get = (path: string) =>
  Promise.resolve(app.request(`${BASE}${path}`, { headers: { authorization: `Bearer ${token}` } }));

/** A 503 in the documented envelope with a Retry-After: what a client retries, never a 500 with a stack. */
async function expectUnavailable(res: Response): Promise<void> {
  const body = (await res.json()) as {
    ok: boolean;
    error: { code: string; message: string; requestId?: string };
  };
  expect({ status: res.status, body }).toMatchObject({
    status: 503,
    body: { ok: false, error: { code: "SERVICE_UNAVAILABLE", requestId: expect.any(String) } },
  });
  expect(body.error.message).toMatch(/database/i);
  expect(body.error.message).not.toMatch(/ECONNREFUSED|terminat|at .*\.js/);
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
}

describe("PostgreSQL sessions terminated under the pool", () => {
  it("the pool's sessions carry the configured application_name, so operators can find them", async () => {
    expect((await get(REPOS)).status).toBe(200);
    expect((await sessionsOf(applicationName)).length).toBeGreaterThan(0);
  });

  it("idle sessions terminated: no unhandled error, the next requests succeed on fresh connections", async () => {
    // Several idle clients in the pool, all killed at once.
    const warm = await Promise.all(Array.from({ length: 6 }, () => get(REPOS)));
    expect(warm.map((r) => r.status)).toEqual(Array(6).fill(200));
    const before = new Set((await sessionsOf(applicationName)).map((r) => r.pid));
    expect(before.size).toBeGreaterThan(1);
    expect(await terminateSessions(applicationName)).toBe(before.size);
    await until("terminated sessions gone", async () =>
      (await sessionsOf(applicationName)).every((r) => !before.has(r.pid)),
    );
    // Whatever the pool held is dead; every answer is either a success or a clean 503.
    for (let i = 0; i < 10; i++) {
      const res = await get(REPOS);
      if (res.status !== 200) await expectUnavailable(res);
    }
    await until("requests succeed again", async () => (await get(REPOS)).status === 200, 5_000);
    expect((await get("/readyz")).status).toBe(200);
    const after = await sessionsOf(applicationName);
    expect(after.length).toBeGreaterThan(0);
    expect(after.some((r) => before.has(r.pid))).toBe(false);
  });

  it("a request waiting on the database when its session is terminated answers 503 + Retry-After", async () => {
    // Hold a lock the token lookup needs, so the request is mid-query on the server when it is terminated.
    const blocker = new pg.Client({ connectionString: PG_URL(), application_name: "mogplex-test-blocker" });
    await blocker.connect();
    try {
      await blocker.query("begin");
      await blocker.query(`lock table ${schema}.personal_access_tokens in access exclusive mode`);
      const inFlight = get(REPOS);
      await until("request waiting on the lock", async () =>
        (await sessionsOf(applicationName)).some((r) => r.wait === "Lock"),
      );
      expect(await terminateSessions(applicationName)).toBeGreaterThan(0);
      await expectUnavailable(await inFlight);
    } finally {
      await blocker.query("rollback").catch(() => undefined);
      await blocker.end();
    }
    await until("requests succeed again", async () => (await get(REPOS)).status === 200, 5_000);
    expect((await get("/readyz")).status).toBe(200);
  });

  it("terminated again and again: every answer is a success or a clean 503, never a 500", async () => {
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      const burst = Promise.all(Array.from({ length: 8 }, () => get(REPOS)));
      await terminateSessions(applicationName);
      for (const res of await burst) {
        statuses.push(res.status);
        if (res.status !== 200) await expectUnavailable(res);
      }
    }
    expect(statuses).not.toContain(500);
    await until("requests succeed again", async () => (await get(REPOS)).status === 200, 5_000);
  });
});

describe("PostgreSQL host swallowing packets", () => {
  it("requests give up after the connect timeout with 503 + Retry-After instead of hanging", async () => {
    expect((await get(REPOS)).status).toBe(200);
    relay.stall();
    try {
      // The pool's open sessions were reset: it notices and drops them; any new one waits for an answer.
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      await expectUnavailable(await get(REPOS));
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(PG_CONNECT_TIMEOUT_MS - 500);
      expect(waited).toBeLessThan(PG_CONNECT_TIMEOUT_MS + 3_000);
      // Readiness answers within its own 2 s bound.
      const probe = Date.now();
      expect((await get("/readyz")).status).toBe(503);
      expect(Date.now() - probe).toBeLessThan(3_000);
    } finally {
      await relay.restore();
    }
    await until("requests succeed again", async () => (await get(REPOS)).status === 200, 10_000);
  }, 30_000);
});

describe("PostgreSQL unreachable", () => {
  it("/readyz reports not ready and requests get 503 + Retry-After; both recover when it is back", async () => {
    expect((await get(REPOS)).status).toBe(200);
    await relay.cut();
    try {
      const ready = await get("/readyz");
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ok: false, checks: { database: "unavailable" } });
      for (let i = 0; i < 3; i++) await expectUnavailable(await get(REPOS));
      // A signed-in browser is told to retry, not signed out: the session could not be checked.
      await expectUnavailable(await app.request(`${BASE}/api/web/repos`, { headers: { cookie } }));
      // Better Auth's own routes answer the same way (they share the pool).
      const signIn = await app.request(`${BASE}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: BASE },
        body: JSON.stringify({ email: "nobody@example.test", password: "whatever-it-is" }),
      });
      await expectUnavailable(signIn);
      // Better Auth routes behind its own session check, which wraps the failure in an error of its own.
      await expectUnavailable(
        await app.request(`${BASE}/api/auth/get-session`, { headers: { cookie, origin: BASE } }),
      );
      await expectUnavailable(
        await app.request(`${BASE}/api/auth/two-factor/enable`, {
          method: "POST",
          headers: { cookie, origin: BASE, "content-type": "application/json" },
          body: JSON.stringify({ password: "whatever-it-is" }),
        }),
      );
    } finally {
      await relay.restore();
    }
    await until("requests succeed again", async () => (await get(REPOS)).status === 200, 5_000);
    expect((await get("/readyz")).status).toBe(200);
    expect((await app.request(`${BASE}/api/web/repos`, { headers: { cookie } })).status).toBe(200);
  });
});
