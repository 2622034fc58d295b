// Rate-limit steps: a key's own sliding window, and the per-address count of failed authentications.
import type { Clock } from "../../clock.js";
import {
  type LimitDecision,
  LimiterUnavailableError,
  type RateLimitStore,
  retryAfterSeconds,
  type WindowRule,
} from "../../limits/index.js";
import { ApiError } from "../errors.js";

function rateLimited(d: LimitDecision): ApiError {
  const secs = retryAfterSeconds(d);
  return new ApiError("RATE_LIMITED", `Rate limit exceeded. Retry after ${secs}s.`, {
    "Retry-After": String(secs),
  });
}

/** The limiter's store is down: every limited route fails closed with this. */
export const limiterUnavailable = (): ApiError =>
  new ApiError("SERVICE_UNAVAILABLE", "Rate limiter unavailable; try again later", { "Retry-After": "60" });

async function decide<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof LimiterUnavailableError) throw limiterUnavailable();
    throw err;
  }
}

/**
 * Counts one request against `key`'s window; throws RATE_LIMITED (with Retry-After) when over, and
 * SERVICE_UNAVAILABLE when the store is down (fail closed). `peek` checks without counting.
 */
export async function keyLimit(
  store: RateLimitStore,
  key: string,
  rule: WindowRule,
  clock: Clock,
  o: { peek?: boolean } = {},
): Promise<void> {
  const d = await decide(() =>
    o.peek ? store.peek(key, rule, clock.now()) : store.hit(key, rule, clock.now()),
  );
  if (!d.allowed) throw rateLimited(d);
}

/**
 * Bad credentials are limited per address (good ones per key): `check` refuses an address over its budget of
 * failures before any verification work; `charge` counts one failure.
 */
export function failedAuthLimit(store: RateLimitStore, key: string, rule: WindowRule, clock: Clock) {
  return {
    check: () => keyLimit(store, key, rule, clock, { peek: true }),
    charge: async () => {
      await decide(() => store.hit(key, rule, clock.now()));
    },
  };
}
