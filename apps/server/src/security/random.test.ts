import { describe, expect, it } from "vitest";
import { hashPat, isWellFormedPat, mintPat } from "./pat.js";
import { BASE62, randomString, safeEqual, sha256Hex } from "./random.js";

describe("randomString", () => {
  it("draws only from the alphabet at the requested length", () => {
    const s = randomString(500);
    expect(s).toHaveLength(500);
    expect([...s].every((c) => BASE62.includes(c))).toBe(true);
  });

  it("is close to uniform over base62 (no modulo bias)", () => {
    // 62 does not divide 256: with `byte % 62` the first 8 symbols would come up 5/4 as often.
    const counts = new Map<string, number>();
    const s = randomString(124_000);
    for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
    const expected = s.length / 62;
    const low = [...BASE62.slice(0, 8)].reduce((a, c) => a + (counts.get(c) ?? 0), 0) / 8;
    const high = [...BASE62.slice(8)].reduce((a, c) => a + (counts.get(c) ?? 0), 0) / 54;
    expect(Math.abs(low / high - 1)).toBeLessThan(0.05); // biased generator gives ~0.25
    expect(Math.abs(low / expected - 1)).toBeLessThan(0.05);
  });

  it("rejects impossible alphabets", () => {
    expect(() => randomString(4, "a")).toThrow();
  });
});

describe("PAT format", () => {
  it("mints mog_ + 32 base62 with a 12-char prefix and SHA-256 hash", () => {
    const { token, prefix, hash } = mintPat();
    expect(token).toMatch(/^mog_[0-9A-Za-z]{32}$/);
    expect(prefix).toBe(token.slice(0, 12));
    expect(hash).toBe(sha256Hex(token));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashPat(token)).toBe(hash);
    expect(isWellFormedPat(token)).toBe(true);
  });

  it("rejects malformed tokens", () => {
    for (const bad of [
      "",
      "mog_",
      "mog_abc",
      `mog_${"a".repeat(33)}`,
      `pat_${"a".repeat(32)}`,
      `mog_${"-".repeat(32)}`,
    ]) {
      expect(isWellFormedPat(bad)).toBe(false);
    }
  });

  it("compares in constant time and correctly", () => {
    expect(safeEqual("abc", "abc")).toBe(true);
    expect(safeEqual("abc", "abd")).toBe(false);
    expect(safeEqual("abc", "abcd")).toBe(false);
  });
});
