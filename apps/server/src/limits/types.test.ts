// Unit tests for the shared error type and Retry-After rounding.
import { describe, expect, it } from "vitest";
import { LimiterUnavailableError, retryAfterSeconds } from "./types.js";

describe("retryAfterSeconds", () => {
  const denied = (retryAfterMs: number) => ({ allowed: false, remaining: 0, retryAfterMs });

  it.each([
    [0, 1],
    [1, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [59_999, 60],
    [60_000, 60],
    [86_400_000, 86_400],
  ])("%i ms → %i s", (ms, seconds) => {
    expect(retryAfterSeconds(denied(ms))).toBe(seconds);
  });

  it("is at least 1 even for an allowed decision", () => {
    expect(retryAfterSeconds({ allowed: true, remaining: 3, retryAfterMs: 0 })).toBe(1);
  });
});

describe("LimiterUnavailableError", () => {
  it("is an Error with its own name and keeps the cause", () => {
    const cause = new Error("ECONNREFUSED");
    const err = new LimiterUnavailableError("down", { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(LimiterUnavailableError);
    expect(err.name).toBe("LimiterUnavailableError");
    expect(err.message).toBe("down");
    expect(err.cause).toBe(cause);
  });
});
