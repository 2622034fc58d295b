// Tests for the Redis store against the real local Redis: contract, replica sharing, concurrency, failing closed.
import { createServer, type Server, type Socket } from "node:net";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it, vi } from "vitest";
import { RedisRateLimitStore } from "./redis-store.js";
import { cleanupRedis, connectRedis, deleteKeys, uniquePrefix } from "./test-support/redis.js";
import { describeStoreContract } from "./test-support/store-contract.js";
import { LimiterUnavailableError, type WindowRule } from "./types.js";

afterAll(cleanupRedis);

describeStoreContract("RedisRateLimitStore", async () => {
  const redis = connectRedis();
  const prefix = uniquePrefix();
  const store = new RedisRateLimitStore({ redis, prefix });
  return {
    store,
    dispose: async () => {
      await deleteKeys(redis, prefix);
      await store.close();
    },
  };
});

describe("RedisRateLimitStore", () => {
  const T = 1_760_000_000_000;
  const rule: WindowRule = { limit: 10, windowMs: 60_000 };

  it("shares counts between instances with the same prefix (replicas)", async () => {
    const prefix = uniquePrefix();
    const replicaA = new RedisRateLimitStore({ redis: connectRedis(), prefix });
    const replicaB = new RedisRateLimitStore({ redis: connectRedis(), prefix });
    const two: WindowRule = { limit: 2, windowMs: 60_000 };
    expect((await replicaA.hit("user:1", two, T)).allowed).toBe(true);
    expect(await replicaB.hit("user:1", two, T)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    expect(await replicaA.hit("user:1", two, T + 5)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 59_995,
    });
    expect((await replicaB.peek("user:1", two, T + 5)).allowed).toBe(false);
  });

  it("isolates different prefixes", async () => {
    const redis = connectRedis();
    const a = new RedisRateLimitStore({ redis, prefix: uniquePrefix() });
    const b = new RedisRateLimitStore({ redis, prefix: uniquePrefix() });
    const one: WindowRule = { limit: 1, windowMs: 60_000 };
    expect((await a.hit("k", one, T)).allowed).toBe(true);
    expect((await b.hit("k", one, T)).allowed).toBe(true);
  });

  it("allows exactly `limit` of 50 concurrent hits spread over 5 connections", async () => {
    const prefix = uniquePrefix();
    const stores = Array.from(
      { length: 5 },
      () => new RedisRateLimitStore({ redis: connectRedis(), prefix }),
    );
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (stores[i % stores.length] as RedisRateLimitStore).hit("hot", rule, T),
      ),
    );
    expect(results.filter((d) => d.allowed)).toHaveLength(10);
    expect(results.filter((d) => !d.allowed).every((d) => d.retryAfterMs === 60_000)).toBe(true);
    const remaining = results.filter((d) => d.allowed).map((d) => d.remaining);
    expect(remaining.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("stores one uniquely named member per hit and expires the key after the window", async () => {
    const redis = connectRedis();
    const store = new RedisRateLimitStore({ redis, prefix: uniquePrefix() });
    const r: WindowRule = { limit: 5, windowMs: 30_000 };
    for (let i = 0; i < 3; i++) await store.hit("k", r, T);
    const key = store.keyFor("k", r);
    expect(await redis.zcard(key)).toBe(3);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it("peek writes no hit", async () => {
    const redis = connectRedis();
    const store = new RedisRateLimitStore({ redis, prefix: uniquePrefix() });
    await store.peek("k", rule, T);
    expect(await redis.exists(store.keyFor("k", rule))).toBe(0);
  });

  it("reloads the script when Redis has forgotten it", async () => {
    const redis = connectRedis();
    const store = new RedisRateLimitStore({ redis, prefix: uniquePrefix() });
    const spy = vi.spyOn(redis, "evalsha").mockRejectedValueOnce(new Error("NOSCRIPT No matching script."));
    expect(await store.hit("k", rule, T)).toEqual({ allowed: true, remaining: 9, retryAfterMs: 0 });
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    expect(await store.hit("k", rule, T)).toEqual({ allowed: true, remaining: 8, retryAfterMs: 0 });
  });

  it("turns Redis command errors into LimiterUnavailableError", async () => {
    const redis = connectRedis();
    const store = new RedisRateLimitStore({ redis, prefix: uniquePrefix() });
    await redis.set(store.keyFor("k", rule), "not a sorted set");
    const failure = store.hit("k", rule, T);
    await expect(failure).rejects.toBeInstanceOf(LimiterUnavailableError);
    await expect(failure).rejects.toThrow(/WRONGTYPE/);
  });

  it("treats an unexpected reply as unavailable rather than allowing", async () => {
    const redis = connectRedis();
    const store = new RedisRateLimitStore({ redis, prefix: uniquePrefix() });
    vi.spyOn(redis, "evalsha").mockResolvedValueOnce("OK");
    await expect(store.hit("k", rule, T)).rejects.toBeInstanceOf(LimiterUnavailableError);
    vi.spyOn(redis, "evalsha").mockResolvedValueOnce([1, -1, 0]);
    await expect(store.hit("k", rule, T)).rejects.toBeInstanceOf(LimiterUnavailableError);
  });

  it("fails closed promptly when Redis is unreachable", async () => {
    const redis = new Redis({
      host: "127.0.0.1",
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    const store = new RedisRateLimitStore({ redis });
    try {
      const started = performance.now();
      await expect(store.hit("k", rule, T)).rejects.toBeInstanceOf(LimiterUnavailableError);
      await expect(store.peek("k", rule, T)).rejects.toBeInstanceOf(LimiterUnavailableError);
      expect(performance.now() - started).toBeLessThan(500);
    } finally {
      redis.disconnect();
    }
  });

  it("fails closed after timeoutMs when Redis accepts but never answers", async () => {
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on("data", () => {}); // swallow every command
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no TCP address");
    const redis = new Redis({
      host: "127.0.0.1",
      port: address.port,
      enableReadyCheck: false,
      retryStrategy: () => null,
    });
    const store = new RedisRateLimitStore({ redis, timeoutMs: 150 });
    try {
      const started = performance.now();
      const failure = store.hit("k", rule, T);
      await expect(failure).rejects.toBeInstanceOf(LimiterUnavailableError);
      await expect(failure).rejects.toThrow(/150ms/);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(140);
      expect(elapsed).toBeLessThan(1000);
    } finally {
      redis.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("leaves a shared client open on close() unless quitOnClose is set", async () => {
    const shared = connectRedis();
    await new RedisRateLimitStore({ redis: shared, prefix: uniquePrefix() }).close();
    expect(await shared.ping()).toBe("PONG");

    const owned = connectRedis();
    await owned.ping();
    await new RedisRateLimitStore({ redis: owned, quitOnClose: true }).close();
    // quit() resolves on the server's OK; the socket finishes closing just after.
    await vi.waitFor(() => expect(owned.status).toBe("end"), { timeout: 1000 });
  });

  it.each([0, -1, Number.NaN])("rejects timeoutMs %s", (timeoutMs) => {
    const redis = connectRedis({ lazyConnect: true });
    expect(() => new RedisRateLimitStore({ redis, timeoutMs })).toThrow(RangeError);
  });
});
