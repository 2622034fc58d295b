// Per-token rate limit on the public API (60 per sliding 60 s) and failing closed when the limiter is down.
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import {
  type LimitDecision,
  LimiterUnavailableError,
  MemoryRateLimitStore,
  type RateLimitStore,
  RedisRateLimitStore,
  type WindowRule,
} from "../limits/index.js";
import { API, dataOf, type Env, errorOf } from "../runs/test-support/api.js";
import { createHarness, FakeClock, type Harness } from "../test-support/harness.js";

let h: Harness | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of cleanups.splice(0)) c();
});

const SECOND = 1000;

async function withUser(opts: Parameters<typeof createHarness>[0]) {
  h = await createHarness(opts);
  const user = await h.user();
  const { token } = await h.pat(user);
  return { h, user, token };
}

const repos = (hh: Harness, token: string) => hh.json<Env<unknown>>("GET", `${API}/repos`, { token });

function expectRateLimited(r: { status: number; body: Env<unknown>; res: Response }, seconds: number) {
  expect(r.status).toBe(429);
  expect(errorOf(r.body)).toMatchObject({
    code: "RATE_LIMITED",
    message: `Rate limit exceeded. Retry after ${seconds}s.`,
  });
  expect(r.res.headers.get("retry-after")).toBe(String(seconds));
}

/** A store that works except for the keys `failing` picks, which fail as if the backend were down. */
class PartlyDownStore implements RateLimitStore {
  private readonly inner = new MemoryRateLimitStore();
  constructor(private readonly failing: (key: string) => boolean) {}
  hit(key: string, rule: WindowRule, now: number): Promise<LimitDecision> {
    if (this.failing(key)) return Promise.reject(new LimiterUnavailableError("backend down"));
    return this.inner.hit(key, rule, now);
  }
  peek(key: string, rule: WindowRule, now: number): Promise<LimitDecision> {
    if (this.failing(key)) return Promise.reject(new LimiterUnavailableError("backend down"));
    return this.inner.peek(key, rule, now);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe("per-token rate limit", () => {
  it("refuses the 61st request inside 60 s with 429, Retry-After and the seed's message", async () => {
    const clock = new FakeClock();
    const { h, user, token } = await withUser({ clock });
    for (let i = 0; i < 60; i++) {
      const r = await repos(h, token);
      expect(r.status, `request ${i + 1}`).toBe(200);
      clock.advance(500);
    }
    // The first request was 30 s ago; its slot frees 30 s from now.
    expectRateLimited(await repos(h, token), 30);

    // Another token of the same user has its own window.
    const second = await h.pat(user, { name: "second" });
    expect((await repos(h, second.token)).status).toBe(200);
  });

  it("is a true sliding window, not a fixed minute", async () => {
    const clock = new FakeClock();
    const { h, token } = await withUser({ clock });
    for (let i = 0; i < 30; i++) expect((await repos(h, token)).status).toBe(200); // t=0
    clock.advance(30 * SECOND);
    for (let i = 0; i < 30; i++) expect((await repos(h, token)).status).toBe(200); // t=30
    clock.advance(15 * SECOND);
    expectRateLimited(await repos(h, token), 15); // t=45: full until the t=0 batch ages out
    clock.advance(15 * SECOND + 1);
    // t=60.001: the 30 from t=0 have aged out, the 30 from t=30 have not.
    for (let i = 0; i < 30; i++) expect((await repos(h, token)).status).toBe(200);
    expectRateLimited(await repos(h, token), 30);
  });

  it("counts every route and method, and limits before checking scope or input", async () => {
    const clock = new FakeClock();
    const { h, user } = await withUser({ clock, env: { MOGPLEX_PAT_RATE_LIMIT: "3/60s" } });
    const readOnly = await h.pat(user, { scopes: ["read"] });
    expect((await repos(h, readOnly.token)).status).toBe(200);
    expect((await h.json("GET", `${API}/runs?limit=abc`, { token: readOnly.token })).status).toBe(400);
    const noScope = await h.json("POST", `${API}/runs`, { token: readOnly.token, body: {} });
    expect(noScope.status).toBe(403);
    // Over the limit, a request that would fail scope and validation is still answered 429 first.
    const over = await h.json<Env<unknown>>("POST", `${API}/runs`, { token: readOnly.token, body: {} });
    expectRateLimited(over, 60);
    // An unauthenticated request never reaches the per-token limit: it is simply 401.
    expect((await h.json("GET", `${API}/repos`, { token: "mog_nope" })).status).toBe(401);
  });

  it("keeps the default at the seed's 60 per 60 s", async () => {
    const { h } = await withUser({});
    expect(h.s.rules.pat).toEqual({ limit: 60, windowMs: 60 * SECOND });
  });
});

describe("per-IP limit and the per-token limit", () => {
  const from = (ip: string) => ({ "x-forwarded-for": ip });
  const reposFrom = (hh: Harness, token: string, ip: string) =>
    hh.json<Env<unknown>>("GET", `${API}/repos`, { token, headers: from(ip) });

  it("a request refused by its token's limit does not count against the address: another user there still gets in", async () => {
    const clock = new FakeClock();
    const { h, token } = await withUser({
      clock,
      env: { MOGPLEX_PAT_RATE_LIMIT: "5/60s", MOGPLEX_IP_RATE_LIMIT: "8/60s", MOGPLEX_TRUST_PROXY: "true" },
    });
    const office = "203.0.113.7";
    const flood: number[] = [];
    for (let i = 0; i < 40; i++) flood.push((await reposFrom(h, token, office)).status);
    expect(flood.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(flood.slice(5))).toEqual(new Set([429]));

    const colleague = await h.user();
    const theirs = (await h.pat(colleague)).token;
    // The address has spent 5 of its 8 (the 35 refused requests cost it nothing): the colleague gets 3.
    for (let i = 0; i < 3; i++) {
      const r = await reposFrom(h, theirs, office);
      expect(r.status, `request ${i + 1} ${JSON.stringify(r.body)}`).toBe(200);
    }
    // Now the address is full: a fresh token there is refused too, and so is a page load…
    expectRateLimited(await reposFrom(h, (await h.pat(colleague)).token, office), 60);
    expect((await h.json("GET", "/api/setup", { headers: from(office) })).status).toBe(429);
    // …but not another address.
    expect((await reposFrom(h, theirs, "198.51.100.9")).status).toBe(200);
  });

  it("failed authentications still count against the address", async () => {
    const clock = new FakeClock();
    const { h, token } = await withUser({
      clock,
      env: { MOGPLEX_IP_RATE_LIMIT: "5/60s", MOGPLEX_TRUST_PROXY: "true" },
    });
    const ip = "203.0.113.8";
    for (let i = 0; i < 5; i++) expect((await reposFrom(h, "mog_nope", ip)).status).toBe(401);
    expectRateLimited(await reposFrom(h, token, ip), 60);
    clock.advance(60 * SECOND);
    expect((await reposFrom(h, token, ip)).status).toBe(200);
  });
});

describe("limiter unavailable", () => {
  it("answers 503 SERVICE_UNAVAILABLE with Retry-After: 60 when the store throws", async () => {
    const { h, token } = await withUser({ limiter: new PartlyDownStore(() => true) });
    const r = await repos(h, token);
    expect(r.status).toBe(503);
    expect(errorOf(r.body).code).toBe("SERVICE_UNAVAILABLE");
    expect(r.res.headers.get("retry-after")).toBe("60");
    const post = await h.json<Env<unknown>>("POST", `${API}/runs`, {
      token,
      body: { repoId: "x", prompt: "x" },
      headers: { "idempotency-key": "k" },
    });
    expect(post.status).toBe(503);
    expect(await h.s.db.db.selectFrom("runs").select("id").execute()).toEqual([]);
  });

  it("fails closed at the per-token check even when the per-IP check still works", async () => {
    const { h, token } = await withUser({ limiter: new PartlyDownStore((key) => key.startsWith("pat:")) });
    const r = await repos(h, token);
    expect(r.status).toBe(503);
    expect(errorOf(r.body).message).not.toMatch(/backend down/);
    expect(r.res.headers.get("retry-after")).toBe("60");
    // Authentication still comes first: a bad token is 401, not 503.
    expect((await repos(h, "mog_invalid")).status).toBe(401);
  });

  it("fails closed with a real Redis store whose server is gone", async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, "127.0.0.1", () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 1));
      });
    });
    const redis = new Redis({
      host: "127.0.0.1",
      port,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on("error", () => undefined);
    cleanups.push(() => redis.disconnect());
    const limiter = new RedisRateLimitStore({ redis, prefix: "dead:", timeoutMs: 500 });
    const { h, token } = await withUser({ limiter });
    const r = await repos(h, token);
    expect(r.status).toBe(503);
    expect(errorOf(r.body).code).toBe("SERVICE_UNAVAILABLE");
    expect(r.res.headers.get("retry-after")).toBe("60");
  });

  it("recovers once the store answers again", async () => {
    let down = true;
    const { h, token } = await withUser({ limiter: new PartlyDownStore(() => down) });
    expect((await repos(h, token)).status).toBe(503);
    down = false;
    const r = await repos(h, token);
    expect(r.status).toBe(200);
    expect(dataOf(r.body as Env<{ repos: unknown[] }>).repos).toEqual([]);
  });
});
