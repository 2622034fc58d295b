// Behaviour every RateLimitStore must share, run against each implementation so they can't drift apart.
import { describe, expect, it } from "vitest";
import { LimiterUnavailableError, type RateLimitStore, type WindowRule } from "../types.js";

export interface StoreUnderTest {
  store: RateLimitStore;
  dispose(): Promise<void>;
}

export function describeStoreContract(name: string, create: () => Promise<StoreUnderTest>): void {
  describe(`${name} (store contract)`, () => {
    const withStore = (fn: (store: RateLimitStore) => Promise<void>) => async () => {
      const { store, dispose } = await create();
      try {
        await fn(store);
      } finally {
        await dispose();
      }
    };

    const T = 1_760_000_000_000;
    const rule: WindowRule = { limit: 3, windowMs: 60_000 };

    it(
      "allows `limit` hits then denies with the time until the oldest expires",
      withStore(async (store) => {
        expect(await store.hit("k", rule, T)).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
        expect(await store.hit("k", rule, T + 1000)).toEqual({
          allowed: true,
          remaining: 1,
          retryAfterMs: 0,
        });
        expect(await store.hit("k", rule, T + 2000)).toEqual({
          allowed: true,
          remaining: 0,
          retryAfterMs: 0,
        });
        expect(await store.hit("k", rule, T + 10_000)).toEqual({
          allowed: false,
          remaining: 0,
          retryAfterMs: 50_000,
        });
        // Denials are not recorded, so they don't push the reopening further out.
        expect(await store.hit("k", rule, T + 20_000)).toEqual({
          allowed: false,
          remaining: 0,
          retryAfterMs: 40_000,
        });
      }),
    );

    it(
      "slides: a hit at t frees its slot at exactly t + windowMs",
      withStore(async (store) => {
        const one: WindowRule = { limit: 1, windowMs: 5000 };
        expect((await store.hit("k", one, T)).allowed).toBe(true);
        expect(await store.hit("k", one, T + 4999)).toEqual({
          allowed: false,
          remaining: 0,
          retryAfterMs: 1,
        });
        expect((await store.hit("k", one, T + 5000)).allowed).toBe(true);
        expect(await store.hit("k", one, T + 5001)).toEqual({
          allowed: false,
          remaining: 0,
          retryAfterMs: 4999,
        });
      }),
    );

    it(
      "peek reports the same decision as hit without recording",
      withStore(async (store) => {
        expect(await store.peek("k", rule, T)).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
        expect(await store.peek("k", rule, T)).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
        await store.hit("k", rule, T);
        await store.hit("k", rule, T + 1);
        expect(await store.peek("k", rule, T + 2)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
        await store.hit("k", rule, T + 2);
        expect(await store.peek("k", rule, T + 3)).toEqual({
          allowed: false,
          remaining: 0,
          retryAfterMs: 59_997,
        });
        expect(await store.peek("k", rule, T + 60_000)).toEqual({
          allowed: true,
          remaining: 0,
          retryAfterMs: 0,
        });
      }),
    );

    it(
      "counts hits at the same millisecond separately",
      withStore(async (store) => {
        for (let i = 0; i < 3; i++) expect((await store.hit("k", rule, T)).allowed).toBe(true);
        expect((await store.hit("k", rule, T)).allowed).toBe(false);
      }),
    );

    it(
      "keeps keys independent",
      withStore(async (store) => {
        const one: WindowRule = { limit: 1, windowMs: 1000 };
        expect((await store.hit("a", one, T)).allowed).toBe(true);
        expect((await store.hit("b", one, T)).allowed).toBe(true);
        expect((await store.hit("a", one, T)).allowed).toBe(false);
      }),
    );

    it(
      "keeps separate logs per window so rules on one key don't prune each other",
      withStore(async (store) => {
        const minute: WindowRule = { limit: 5, windowMs: 60_000 };
        const hour: WindowRule = { limit: 2, windowMs: 3_600_000 };
        await store.hit("k", hour, T);
        await store.hit("k", minute, T);
        // A minute-rule hit much later must not discard the hour log.
        await store.hit("k", minute, T + 120_000);
        expect((await store.hit("k", hour, T + 120_000)).allowed).toBe(true);
        expect(await store.hit("k", hour, T + 120_001)).toEqual({
          allowed: false,
          remaining: 0,
          retryAfterMs: 3_600_000 - 120_001,
        });
      }),
    );

    it(
      "honours a lowered limit against existing history",
      withStore(async (store) => {
        for (let i = 0; i < 3; i++) await store.hit("k", rule, T + i * 1000);
        expect(await store.hit("k", { limit: 2, windowMs: 60_000 }, T + 5000)).toEqual({
          allowed: false,
          remaining: 0,
          retryAfterMs: 56_000,
        });
      }),
    );

    it(
      "tolerates a clock that steps backwards",
      withStore(async (store) => {
        await store.hit("k", rule, T + 1000);
        expect((await store.hit("k", rule, T)).allowed).toBe(true);
        await store.hit("k", rule, T + 500);
        expect(await store.hit("k", rule, T + 1500)).toEqual({
          allowed: false,
          remaining: 0,
          retryAfterMs: 58_500,
        });
      }),
    );

    it(
      "rejects invalid rules and clocks instead of guessing",
      withStore(async (store) => {
        await expect(store.hit("k", { limit: 0, windowMs: 1000 }, T)).rejects.toThrow(RangeError);
        await expect(store.peek("k", { limit: 1, windowMs: 0 }, T)).rejects.toThrow(RangeError);
        await expect(store.hit("k", rule, Number.NaN)).rejects.toThrow(RangeError);
      }),
    );

    it("fails closed after close()", async () => {
      const { store, dispose } = await create();
      try {
        await store.close();
        await expect(store.hit("k", rule, T)).rejects.toBeInstanceOf(LimiterUnavailableError);
        await expect(store.peek("k", rule, T)).rejects.toBeInstanceOf(LimiterUnavailableError);
        await expect(store.close()).resolves.toBeUndefined();
      } finally {
        await dispose();
      }
    });
  });
}
