// Unit tests for the pure sliding-log decision and rule parsing, driven by an explicit clock.
import { describe, expect, it } from "vitest";
import { assertValidRule, decide, decideInPlace, parseRule, parseRules } from "./sliding-window.js";
import type { WindowRule } from "./types.js";

describe("decide", () => {
  const rule: WindowRule = { limit: 3, windowMs: 100 };

  it("allows the first hit and records it", () => {
    expect(decide([], rule, 1000)).toEqual({
      decision: { allowed: true, remaining: 2, retryAfterMs: 0 },
      hits: [1000],
    });
  });

  it("allows exactly `limit` hits, counting remaining down, then denies", () => {
    let hits: number[] = [];
    const remaining: number[] = [];
    for (const now of [1000, 1010, 1020]) {
      const result = decide(hits, rule, now);
      expect(result.decision.allowed).toBe(true);
      expect(result.decision.retryAfterMs).toBe(0);
      remaining.push(result.decision.remaining);
      hits = result.hits;
    }
    expect(remaining).toEqual([2, 1, 0]);
    expect(hits).toEqual([1000, 1010, 1020]);

    const denied = decide(hits, rule, 1050);
    expect(denied.decision).toEqual({ allowed: false, remaining: 0, retryAfterMs: 50 });
    expect(denied.hits).toEqual([1000, 1010, 1020]);
  });

  it("treats a hit exactly windowMs old as expired, so retryAfterMs is exact", () => {
    const hits = [1000, 1010, 1020];
    expect(decide(hits, rule, 1099).decision).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1 });
    const freed = decide(hits, rule, 1100);
    expect(freed.decision).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    expect(freed.hits).toEqual([1010, 1020, 1100]);
  });

  it("slides continuously rather than resetting at bucket edges", () => {
    // A fixed 100ms bucket would reset at 1100 and allow 3 more; the log only frees one slot per expiry.
    let hits = [1000, 1050, 1099];
    let r = decide(hits, rule, 1100);
    expect(r.decision.allowed).toBe(true);
    hits = r.hits;
    r = decide(hits, rule, 1101);
    expect(r.decision).toEqual({ allowed: false, remaining: 0, retryAfterMs: 49 });
    r = decide(hits, rule, 1150);
    expect(r.decision.allowed).toBe(true);
    expect(r.hits).toEqual([1099, 1100, 1150]);
  });

  it("prunes everything once the whole window has passed", () => {
    const r = decide([1, 2, 3, 4, 5], rule, 10_000);
    expect(r.hits).toEqual([10_000]);
    expect(r.decision.remaining).toBe(2);
  });

  it("keeps retryAfterMs at least 1 even with fractional clocks", () => {
    const r = decide([0], { limit: 1, windowMs: 100 }, 99.75);
    expect(r.decision).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1 });
    const r2 = decide([0], { limit: 1, windowMs: 100 }, 10.5);
    expect(r2.decision.retryAfterMs).toBe(90);
  });

  it("waits for the excess to age out when more than `limit` hits are live (limit lowered)", () => {
    const r = decide([0, 10, 20, 30], { limit: 2, windowMs: 100 }, 40);
    // Two of the four must expire before a slot frees: the hit at 10 expires at 110 leaving 20 and 30 (=limit),
    // and only the expiry of 20 at 120 drops below the limit.
    expect(r.decision).toEqual({ allowed: false, remaining: 0, retryAfterMs: 80 });
    expect(decide(r.hits, { limit: 2, windowMs: 100 }, 119).decision.allowed).toBe(false);
    expect(decide(r.hits, { limit: 2, windowMs: 100 }, 120).decision.allowed).toBe(true);
  });

  it("counts equal timestamps separately", () => {
    let hits: number[] = [];
    for (let i = 0; i < 3; i++) hits = decide(hits, rule, 500).hits;
    expect(hits).toEqual([500, 500, 500]);
    expect(decide(hits, rule, 500).decision.allowed).toBe(false);
  });

  it("keeps the log sorted when the clock steps backwards", () => {
    const r = decide([1000, 1050], rule, 1020);
    expect(r.decision.allowed).toBe(true);
    expect(r.hits).toEqual([1000, 1020, 1050]);
  });

  it("does not mutate its input", () => {
    const hits = Object.freeze([1, 2, 3]);
    expect(() => decide(hits, rule, 50)).not.toThrow();
    expect(() => decide(hits, rule, 500)).not.toThrow();
    expect(hits).toEqual([1, 2, 3]);
  });

  it("returns a fresh array even when nothing changes", () => {
    const hits = [1000, 1010, 1020];
    const r = decide(hits, rule, 1030);
    expect(r.hits).toEqual(hits);
    expect(r.hits).not.toBe(hits);
  });

  it("handles a limit of 1", () => {
    const one = { limit: 1, windowMs: 1000 };
    const first = decide([], one, 0);
    expect(first.decision).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    expect(decide(first.hits, one, 1).decision).toEqual({ allowed: false, remaining: 0, retryAfterMs: 999 });
    expect(decide(first.hits, one, 1000).decision.allowed).toBe(true);
  });

  it("works with realistic epoch timestamps", () => {
    const t = 1_760_000_000_123;
    let hits: number[] = [];
    for (let i = 0; i < 10; i++) hits = decide(hits, { limit: 10, windowMs: 60_000 }, t + i).hits;
    expect(decide(hits, { limit: 10, windowMs: 60_000 }, t + 30_000).decision.retryAfterMs).toBe(30_000);
  });

  it("matches a brute-force model over random traffic", () => {
    // Seeded LCG so a failure is reproducible.
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let trial = 0; trial < 50; trial++) {
      const r: WindowRule = { limit: 1 + rand(5), windowMs: 1 + rand(50) };
      let hits: number[] = [];
      const recorded: number[] = [];
      let now = rand(100);
      for (let step = 0; step < 200; step++) {
        now += rand(r.windowMs);
        const live = (at: number) => recorded.filter((h) => h > at - r.windowMs && h <= at).length;
        const expectAllowed = live(now) < r.limit;
        let expectRetry = 0;
        if (!expectAllowed) {
          expectRetry = 1;
          while (live(now + expectRetry) >= r.limit) expectRetry++;
        }
        const { decision, hits: next } = decide(hits, r, now);
        expect(decision.allowed).toBe(expectAllowed);
        expect(decision.retryAfterMs).toBe(expectRetry);
        expect(decision.remaining).toBe(expectAllowed ? r.limit - live(now) - 1 : 0);
        if (expectAllowed) recorded.push(now);
        hits = next;
      }
    }
  });

  it.each([
    [{ limit: 0, windowMs: 100 }],
    [{ limit: -1, windowMs: 100 }],
    [{ limit: 1.5, windowMs: 100 }],
    [{ limit: Number.NaN, windowMs: 100 }],
    [{ limit: 1, windowMs: 0 }],
    [{ limit: 1, windowMs: -5 }],
    [{ limit: 1, windowMs: Number.POSITIVE_INFINITY }],
  ])("rejects invalid rule %o", (bad) => {
    expect(() => decide([], bad, 0)).toThrow(RangeError);
    expect(() => assertValidRule(bad)).toThrow(RangeError);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY])("rejects non-finite now %s", (now) => {
    expect(() => decide([], rule, now)).toThrow(/finite/);
  });
});

describe("parseRule", () => {
  it.each([
    ["60/60s", { limit: 60, windowMs: 60_000 }],
    ["10/1m", { limit: 10, windowMs: 60_000 }],
    ["30/1h", { limit: 30, windowMs: 3_600_000 }],
    ["150/1d", { limit: 150, windowMs: 86_400_000 }],
    ["5/500ms", { limit: 5, windowMs: 500 }],
    ["1/1ms", { limit: 1, windowMs: 1 }],
    ["100/15m", { limit: 100, windowMs: 900_000 }],
    ["2/7d", { limit: 2, windowMs: 604_800_000 }],
    ["10/m", { limit: 10, windowMs: 60_000 }],
    ["10/s", { limit: 10, windowMs: 1000 }],
    ["  10 / 1m  ", { limit: 10, windowMs: 60_000 }],
    ["010/01m", { limit: 10, windowMs: 60_000 }],
  ])("%j", (input, expected) => {
    expect(parseRule(input)).toEqual(expected);
  });

  it("distinguishes ms from m", () => {
    expect(parseRule("1/5ms").windowMs).toBe(5);
    expect(parseRule("1/5m").windowMs).toBe(300_000);
  });

  it.each([
    "",
    "   ",
    "10",
    "500ms",
    "10/",
    "/1m",
    "10/1",
    "0/1m",
    "10/0s",
    "10/0ms",
    "-1/1m",
    "10/-1m",
    "1.5/1m",
    "10/1.5m",
    "10/1y",
    "10/1M",
    "10/1 minutes",
    "ten/1m",
    "10/1m/2",
    "10/1m,5/1h",
    "99999999999999999999/1m",
    "1/9999999999999999d",
  ])("rejects %j with a clear message", (input) => {
    expect(() => parseRule(input)).toThrow(/Invalid rate limit rule .*Expected "<limit>\/<window>"/);
  });

  it("quotes the offending input in the error", () => {
    expect(() => parseRule("10/1y")).toThrow('"10/1y"');
  });
});

describe("parseRules", () => {
  it("parses a comma-separated list in order", () => {
    expect(parseRules("10/1m,30/1h,150/1d")).toEqual([
      { limit: 10, windowMs: 60_000 },
      { limit: 30, windowMs: 3_600_000 },
      { limit: 150, windowMs: 86_400_000 },
    ]);
  });

  it("tolerates spaces around entries", () => {
    expect(parseRules(" 10/1m , 30/1h ")).toEqual([
      { limit: 10, windowMs: 60_000 },
      { limit: 30, windowMs: 3_600_000 },
    ]);
  });

  it("accepts a single rule", () => {
    expect(parseRules("5/500ms")).toEqual([{ limit: 5, windowMs: 500 }]);
  });

  it.each(["", "  "])("rejects an empty list %j", (input) => {
    expect(() => parseRules(input)).toThrow(/no rules given/);
  });

  it.each([
    ["10/1m,", /entry 2 is empty/],
    [",10/1m", /entry 1 is empty/],
    ["10/1m,,30/1h", /entry 2 is empty/],
  ])("rejects empty entries in %j", (input, message) => {
    expect(() => parseRules(input)).toThrow(message);
  });

  it("names the bad entry", () => {
    expect(() => parseRules("10/1m,30/1x,150/1d")).toThrow('"30/1x"');
  });
});

describe("decideInPlace", () => {
  it("agrees with the pure decide on random sequences, including clock steps backwards", () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let round = 0; round < 40; round++) {
      const rule = { limit: 1 + Math.floor(rand() * 20), windowMs: 1 + Math.floor(rand() * 500) };
      let pure: number[] = [];
      const log = { hits: [] as number[], head: 0 };
      let now = 1000;
      for (let i = 0; i < 400; i++) {
        now += Math.floor(rand() * 60) - 5;
        const a = decide(pure, rule, now);
        pure = a.hits;
        const b = decideInPlace(log, rule, now);
        expect(b).toEqual(a.decision);
        expect(log.hits.slice(log.head)).toEqual(pure);
      }
    }
  });

  it("keeps memory proportional to the live hits", () => {
    const log = { hits: [] as number[], head: 0 };
    for (let t = 0; t < 100_000; t++) decideInPlace(log, { limit: 1_000_000, windowMs: 100 }, t);
    expect(log.hits.length).toBeLessThan(400);
  });
});
