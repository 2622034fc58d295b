// Redis going away under a running server never ends the process: limits fail closed (503 + Retry-After),
// /readyz says so, live events still reach this replica's followers, and everything resumes when Redis is back.
// A throwaway redis-server of our own is killed and restarted; the shared one is never touched.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunEvent } from "@mogplex/contract";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { loadConfig } from "../config.js";
import { until } from "../db/test-support/outage.js";
import { createLogger } from "../logger.js";
import type { Services } from "../services.js";
import { wire } from "../wiring.js";
import { freePort, startRedis, type ThrowawayRedis } from "./test-support/throwaway-redis.js";

const BASE = "http://127.0.0.1:4100";
const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A server on its own SQLite file using `redisUrl` for limits and live events, with a user, PAT and run. */
async function server(redisUrl: string) {
  const dataDir = mkdtempSync(join(tmpdir(), "mogplex-redis-outage-"));
  dirs.push(dataDir);
  const config = loadConfig({
    MOGPLEX_DATA_DIR: dataDir,
    MOGPLEX_PUBLIC_URL: BASE,
    MOGPLEX_LOG_LEVEL: "silent",
    MOGPLEX_WORKER_CONCURRENCY: "0",
    MOGPLEX_PAT_RATE_LIMIT: "100000/60s",
    REDIS_URL: redisUrl,
  });
  const s: Services = await wire({ config, logger: createLogger("silent") });
  closers.push(() => s.close());
  const app = createApp(s);
  const user = await s.identity.createUser(
    {
      email: `ops-${randomBytes(3).toString("hex")}@example.test`,
      name: "Ops",
      password: "a long enough password",
    },
    { slug: `ops-${randomBytes(3).toString("hex")}`, role: "owner" },
    { actorType: "system", actorId: null },
  );
  const sys = { actorType: "system", actorId: null } as const;
  const token = (await s.tokens.create(user.userId, user.teamId, { name: "t" }, sys)).token;
  const get = (path: string) =>
    Promise.resolve(app.request(`${BASE}${path}`, { headers: { authorization: `Bearer ${token}` } }));
  return { s, app, user, token, get };
}

async function expectUnavailable(res: Response): Promise<void> {
  expect(res.status).toBe(503);
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(await res.json()).toMatchObject({ ok: false, error: { code: "SERVICE_UNAVAILABLE" } });
}

describe("Redis killed under a running server", () => {
  let redis: ThrowawayRedis;
  beforeAll(async () => {
    redis = await startRedis();
    closers.push(() => redis.kill());
  });

  it("fails closed with 503 + Retry-After, keeps live events local, and recovers when Redis is back", async () => {
    const { s, user, get, app, token } = await server(redis.url);
    expect((await get("/api/v1/mogplex/repos")).status).toBe(200);
    const repoId = (
      await s.repos.add(
        { teamId: user.teamId, fullName: "acme/r", sourceUrl: "https://example.invalid/r.git" },
        { actorType: "system", actorId: null },
      )
    ).id;
    const created = await app.request(`${BASE}/api/v1/mogplex/runs`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "idempotency-key": "k1",
      },
      body: JSON.stringify({ repoId, prompt: "hello" }),
    });
    expect(created.status).toBe(202);
    const runId = ((await created.json()) as { data: { run: { id: string } } }).data.run.id;
    const live: RunEvent[] = [];
    s.events.subscribe(runId, (e) => live.push(e));
    await s.bus.ready?.();

    await redis.kill();
    await until("readiness notices", async () => (await get("/readyz")).status === 503);
    expect(await (await get("/readyz")).json()).toEqual({
      ok: false,
      checks: { database: "ok", redis: "unavailable" },
    });
    await expectUnavailable(await get("/api/v1/mogplex/repos"));

    // What the engine does on every step: the event is stored whatever Redis's state, and followers in this
    // process still see it live (others catch up from storage).
    const ready = await Promise.race([
      Promise.resolve(s.bus.ready?.()).then(() => "ready"),
      new Promise((r) => setTimeout(() => r("hung"), 3_000)),
    ]);
    expect(ready).toBe("ready");
    await s.events.append(runId, [{ type: "log", message: "while Redis is away" }]);
    expect(live.map((e) => e.message)).toContain("while Redis is away");
    expect((await s.events.list(runId, 0, 100)).events.map((e) => e.message)).toContain(
      "while Redis is away",
    );

    // Back on the same port: the clients reconnect by themselves.
    const again = await startRedis(redis.port);
    closers.push(() => again.kill());
    await until(
      "requests succeed again",
      async () => (await get("/api/v1/mogplex/repos")).status === 200,
      10_000,
    );
    expect((await get("/readyz")).status).toBe(200);
    // The subscriber connection re-subscribed: a publish from another client reaches this follower again.
    await s.bus.ready?.();
    const other = new Redis(again.url, { maxRetriesPerRequest: 1 });
    try {
      const event = { ...live[0], seq: 999, message: "through Redis again" } as RunEvent;
      await until(
        "live fan-out through Redis",
        async () => {
          await other.publish(`mogplex:run-events:${runId}`, JSON.stringify(event));
          await new Promise((r) => setTimeout(r, 100));
          return live.some((e) => e.message === "through Redis again");
        },
        10_000,
      );
    } finally {
      other.disconnect();
    }
  });
});

describe("REDIS_URL pointing at a closed port", () => {
  it("the server starts, answers 503 + Retry-After where limits are needed, and never crashes", async () => {
    const port = await freePort();
    const { get } = await server(`redis://127.0.0.1:${port}`);
    await expectUnavailable(await get("/api/v1/mogplex/repos"));
    expect((await get("/readyz")).status).toBe(503);
    expect((await get("/healthz")).status).toBe(200);
    // A while of reconnect attempts against the closed port: still no unhandled error.
    await new Promise((r) => setTimeout(r, 1_500));
    await expectUnavailable(await get("/api/v1/mogplex/repos"));
  });
});
