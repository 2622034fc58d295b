// Public surface of the rate limiting module.

export { MemoryRateLimitStore, type MemoryRateLimitStoreOptions } from "./memory-store.js";
export { hitAll } from "./multi.js";
export { RedisRateLimitStore, type RedisRateLimitStoreOptions } from "./redis-store.js";
export { assertValidRule, decide, parseRule, parseRules } from "./sliding-window.js";
export {
  type LimitDecision,
  LimiterUnavailableError,
  type RateLimitStore,
  retryAfterSeconds,
  type WindowRule,
} from "./types.js";
