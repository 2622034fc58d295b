// Tests for combining several window rules on one key, over the memory store and the real Redis store.
import { afterAll, describe, expect, it } from "vitest";
import { MemoryRateLimitStore } from "./memory-store.js";
import { hitAll } from "./multi.js";
import { RedisRateLimitStore } from "./redis-store.js";
import { parseRules } from "./sliding-window.js";
import { cleanupRedis, connectRedis, uniquePrefix } from "./test-support/redis.js";
import type { LimitDecision, RateLimitStore, WindowRule } from "./types.js";

afterAll(cleanupRedis);

const T = 1_760_000_000_000;
const MIN = 60_000;
const HOUR = 3_600_000;

const stores: Array<[string, () => RateLimitStore]> = [
  ["memory", () => new MemoryRateLimitStore()],
  ["redis", () => new RedisRateLimitStore({ redis: connectRedis(), prefix: uniquePrefix() })],
];

describe.each(stores)("hitAll over %s", (_name, makeStore) => {
  it("enforces each rule, so the tighter one trips first", async () => {
    const store = makeStore();
    const rules = parseRules("2/1m,3/1h");
    expect(await hitAll(store, "u", rules, T)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 });
    expect(await hitAll(store, "u", rules, T + 1)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    expect(await hitAll(store, "u", rules, T + 2)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: MIN - 2,
    });
    // Minute window reopens; the hour rule still has one slot.
    expect(await hitAll(store, "u", rules, T + MIN)).toEqual({
      allowed: true,
      remaining: 0,
      retryAfterMs: 0,
    });
    expect(await hitAll(store, "u", rules, T + 2 * MIN)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: HOUR - 2 * MIN,
    });
  });

  it("records nothing when any rule denies", async () => {
    const store = makeStore();
    const [minute, hour] = parseRules("1/1m,10/1h") as [WindowRule, WindowRule];
    await hitAll(store, "u", [minute, hour], T);
    for (let i = 1; i <= 5; i++)
      expect((await hitAll(store, "u", [minute, hour], T + i)).allowed).toBe(false);
    // Only the first request burned hour budget.
    expect((await store.peek("u", hour, T + 10)).remaining).toBe(8);
  });

  it("returns the denial with the largest retryAfterMs", async () => {
    const store = makeStore();
    const rules = parseRules("1/1m,1/1h,1/1d");
    await hitAll(store, "u", rules, T);
    expect(await hitAll(store, "u", rules, T + 1000)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 86_400_000 - 1000,
    });
  });

  it("handles the production shape 10/1m,30/1h,150/1d", async () => {
    const store = makeStore();
    const rules = parseRules("10/1m,30/1h,150/1d");
    let allowed = 0;
    // One request per second for five minutes: 10 per minute pass until the hour cap of 30 binds.
    for (let s = 0; s < 300; s++) if ((await hitAll(store, "u", rules, T + s * 1000)).allowed) allowed++;
    expect(allowed).toBe(30);
    const next = await hitAll(store, "u", rules, T + 300_000);
    expect(next.allowed).toBe(false);
    expect(next.retryAfterMs).toBe(HOUR - 300_000);
  });

  it("collapses rules sharing a window to the strictest and counts each request once", async () => {
    const store = makeStore();
    const rules: WindowRule[] = [
      { limit: 5, windowMs: MIN },
      { limit: 2, windowMs: MIN },
    ];
    expect((await hitAll(store, "u", rules, T)).remaining).toBe(1);
    expect((await hitAll(store, "u", rules, T + 1)).allowed).toBe(true);
    expect((await hitAll(store, "u", rules, T + 2)).allowed).toBe(false);
    expect((await store.peek("u", { limit: 5, windowMs: MIN }, T + 3)).remaining).toBe(2);
  });
});

describe("hitAll", () => {
  it("rejects an empty rule list instead of allowing everything", async () => {
    await expect(hitAll(new MemoryRateLimitStore(), "u", [], T)).rejects.toThrow(/at least one rule/);
  });

  it("rejects invalid rules before touching the store", async () => {
    const store = new MemoryRateLimitStore();
    await expect(
      hitAll(
        store,
        "u",
        [
          { limit: 1, windowMs: MIN },
          { limit: 0, windowMs: HOUR },
        ],
        T,
      ),
    ).rejects.toThrow(RangeError);
    expect(store.size).toBe(0);
  });

  it("denies if a rule fills between peek and hit (best-effort: other rules keep their hit)", async () => {
    const inner = new MemoryRateLimitStore();
    const minute: WindowRule = { limit: 1, windowMs: MIN };
    const hour: WindowRule = { limit: 5, windowMs: HOUR };
    // A store whose peeks race ahead of a competing request that takes the minute slot.
    const racy: RateLimitStore = {
      peek: (key, rule, now) => inner.peek(key, rule, now),
      hit: async (key, rule, now): Promise<LimitDecision> => {
        if (rule.windowMs === MIN) await inner.hit("u", minute, now - 1);
        return inner.hit(key, rule, now);
      },
      close: () => inner.close(),
    };
    expect(await hitAll(racy, "u", [minute, hour], T)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: MIN - 1,
    });
    expect((await inner.peek("u", hour, T)).remaining).toBe(3);
  });

  it("propagates store unavailability", async () => {
    const store = new MemoryRateLimitStore();
    await store.close();
    await expect(hitAll(store, "u", [{ limit: 1, windowMs: MIN }], T)).rejects.toThrow("closed");
  });
});
