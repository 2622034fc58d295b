// Circuit breaker per upstream: after N consecutive failures, fail fast for a cool-down, then let one trial through.
import type { Clock } from "../../clock.js";

export type BreakerState = "closed" | "open" | "half-open";

export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private trial = false;

  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly clock: Clock,
  ) {}

  get state(): BreakerState {
    if (this.failures < this.threshold) return "closed";
    return this.clock.now() < this.openUntil ? "open" : "half-open";
  }

  /** Whether a call may go to the upstream now; in half-open only one call at a time is the trial. */
  tryPass(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open" || this.trial) return false;
    this.trial = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.trial = false;
  }

  /** Neither outcome (the caller gave up): frees a half-open trial without judging the upstream. */
  release(): void {
    this.trial = false;
  }

  /** Only failures of the upstream itself count: timeouts, refused connections, broken sessions. */
  failure(): void {
    this.trial = false;
    this.failures++;
    if (this.failures >= this.threshold) this.openUntil = this.clock.now() + this.cooldownMs;
  }

  /** Seconds until a trial is allowed (for Retry-After style hints). */
  retryAfterMs(): number {
    return Math.max(0, this.openUntil - this.clock.now());
  }
}
