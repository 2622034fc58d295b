// Circuit breaker transitions under a fake clock.
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test-support/harness.js";
import { CircuitBreaker } from "./breaker.js";

describe("CircuitBreaker", () => {
  it("opens after N consecutive failures, half-opens after the cool-down, closes on a good trial", () => {
    const clock = new FakeClock(1_000);
    const b = new CircuitBreaker(3, 10_000, clock);
    for (let i = 0; i < 2; i++) {
      expect(b.tryPass()).toBe(true);
      b.failure();
    }
    b.success(); // a success resets the count
    for (let i = 0; i < 3; i++) b.failure();
    expect(b.state).toBe("open");
    expect(b.tryPass()).toBe(false);
    expect(b.retryAfterMs()).toBe(10_000);
    clock.advance(10_000);
    expect(b.state).toBe("half-open");
    expect(b.tryPass()).toBe(true);
    expect(b.tryPass()).toBe(false); // one trial at a time
    b.success();
    expect(b.state).toBe("closed");
    expect(b.tryPass()).toBe(true);
  });

  it("re-opens when the trial fails", () => {
    const clock = new FakeClock(0);
    const b = new CircuitBreaker(1, 5_000, clock);
    b.failure();
    clock.advance(5_000);
    expect(b.tryPass()).toBe(true);
    b.failure();
    expect(b.state).toBe("open");
    expect(b.tryPass()).toBe(false);
  });
});
