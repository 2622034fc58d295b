// Shared contracts for rate limiting: rules, decisions, the store interface and the fail-closed error.

export interface WindowRule {
  limit: number;
  windowMs: number;
}

export interface LimitDecision {
  allowed: boolean;
  /** Hits still available after this decision (0 when denied). */
  remaining: number;
  /** 0 when allowed; otherwise ms until a slot frees (always >= 1). */
  retryAfterMs: number;
}

export interface RateLimitStore {
  /** Atomically: drop hits older than now-windowMs, and if fewer than limit remain record a hit at now. */
  hit(key: string, rule: WindowRule, now: number): Promise<LimitDecision>;
  /** Same check without recording (for peeking). */
  peek(key: string, rule: WindowRule, now: number): Promise<LimitDecision>;
  close(): Promise<void>;
}

/**
 * Thrown when the backend can't answer. Callers must fail CLOSED (503) rather than
 * allow, because an outage would otherwise silently disable every limit.
 */
export class LimiterUnavailableError extends Error {
  override readonly name = "LimiterUnavailableError";
}

/** For the Retry-After header, which is whole seconds; rounding down could invite a retry that is still denied. */
export function retryAfterSeconds(d: LimitDecision): number {
  return Math.max(1, Math.ceil(d.retryAfterMs / 1000));
}
