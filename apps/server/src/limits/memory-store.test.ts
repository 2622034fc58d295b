// Tests for the in-process store: the shared contract plus LRU memory capping.
import { describe, expect, it } from "vitest";
import { MemoryRateLimitStore } from "./memory-store.js";
import { describeStoreContract } from "./test-support/store-contract.js";
import type { WindowRule } from "./types.js";

describeStoreContract("MemoryRateLimitStore", async () => {
  const store = new MemoryRateLimitStore();
  return { store, dispose: () => store.close() };
});

describe("MemoryRateLimitStore memory cap", () => {
  const one: WindowRule = { limit: 1, windowMs: 60_000 };
  const T = 1_000_000;

  it("evicts the least recently used key when full", async () => {
    const store = new MemoryRateLimitStore({ maxKeys: 2 });
    await store.hit("a", one, T);
    await store.hit("b", one, T);
    await store.hit("a", one, T + 1); // denied, but still a use: "a" becomes most recent
    await store.hit("c", one, T + 2); // over capacity → "b" goes
    expect(store.size).toBe(2);
    expect((await store.peek("a", one, T + 3)).allowed).toBe(false);
    expect((await store.peek("c", one, T + 3)).allowed).toBe(false);
    expect((await store.peek("b", one, T + 3)).allowed).toBe(true);
  });

  it("does not let peeks refresh recency or create entries", async () => {
    const store = new MemoryRateLimitStore({ maxKeys: 2 });
    await store.hit("a", one, T);
    await store.hit("b", one, T);
    await store.peek("a", one, T + 1);
    await store.peek("zzz", one, T + 1);
    expect(store.size).toBe(2);
    await store.hit("c", one, T + 2); // "a" is still the oldest use
    expect((await store.peek("a", one, T + 3)).allowed).toBe(true);
    expect((await store.peek("b", one, T + 3)).allowed).toBe(false);
  });

  it("counts each (key, window) log against the cap", async () => {
    const store = new MemoryRateLimitStore({ maxKeys: 3 });
    await store.hit("a", { limit: 1, windowMs: 1000 }, T);
    await store.hit("a", { limit: 1, windowMs: 2000 }, T);
    expect(store.size).toBe(2);
  });

  it("never grows beyond maxKeys", async () => {
    const store = new MemoryRateLimitStore({ maxKeys: 100 });
    for (let i = 0; i < 1000; i++) await store.hit(`k${i}`, one, T + i);
    expect(store.size).toBe(100);
    // The survivors are the 100 most recent.
    expect((await store.peek("k999", one, T + 1000)).allowed).toBe(false);
    expect((await store.peek("k900", one, T + 1000)).allowed).toBe(false);
    expect((await store.peek("k899", one, T + 1000)).allowed).toBe(true);
  });

  it("defaults to 100 000 keys", async () => {
    const store = new MemoryRateLimitStore();
    for (let i = 0; i < 100_001; i++) await store.hit(`k${i}`, one, T);
    expect(store.size).toBe(100_000);
    expect((await store.peek("k0", one, T)).allowed).toBe(true);
    expect((await store.peek("k1", one, T)).allowed).toBe(false);
  });

  it("allows exactly `limit` of many concurrent hits", async () => {
    const store = new MemoryRateLimitStore();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => store.hit("k", { limit: 10, windowMs: 1000 }, T)),
    );
    expect(results.filter((d) => d.allowed)).toHaveLength(10);
  });

  it("clears its memory on close", async () => {
    const store = new MemoryRateLimitStore();
    await store.hit("a", one, T);
    await store.close();
    expect(store.size).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN])("rejects maxKeys %s", (maxKeys) => {
    expect(() => new MemoryRateLimitStore({ maxKeys })).toThrow(RangeError);
  });
});
