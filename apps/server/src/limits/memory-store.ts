// In-process RateLimitStore for single-replica deployments and tests; bounded by LRU eviction.
import { assertValidNow, assertValidRule, decide, decideInPlace, type HitLog } from "./sliding-window.js";
import {
  type LimitDecision,
  LimiterUnavailableError,
  type RateLimitStore,
  type WindowRule,
} from "./types.js";

export interface MemoryRateLimitStoreOptions {
  /** Cap on tracked (key, window) logs. Evicting a log forgets its hits, so keep this well above active keys. */
  maxKeys?: number;
}

/**
 * Atomic without locks: every read-modify-write below is synchronous, so no other hit can interleave.
 * Logs are kept per (key, windowMs) so several rules on one key never prune each other's history.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #maxKeys: number;
  // Map iteration order doubles as recency order: re-inserting a key moves it to the back.
  readonly #logs = new Map<string, HitLog>();
  #closed = false;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 100_000;
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
      throw new RangeError(`maxKeys must be a positive integer, got ${String(maxKeys)}`);
    }
    this.#maxKeys = maxKeys;
  }

  /** Number of (key, window) logs held; exposed so callers and tests can watch memory use. */
  get size(): number {
    return this.#logs.size;
  }

  async hit(key: string, rule: WindowRule, now: number): Promise<LimitDecision> {
    this.#assertOpen();
    assertValidRule(rule);
    assertValidNow(now);
    const id = logId(key, rule);
    const log = this.#logs.get(id) ?? { hits: [], head: 0 };
    const decision = decideInPlace(log, rule, now);
    this.#logs.delete(id);
    if (log.hits.length > log.head) {
      // Denied hits refresh recency too: a key being hammered is exactly the one we must not forget.
      this.#logs.set(id, log);
      this.#evictOverflow();
    }
    return decision;
  }

  async peek(key: string, rule: WindowRule, now: number): Promise<LimitDecision> {
    this.#assertOpen();
    // Peeking neither records nor refreshes recency, so probes can't keep stale logs alive.
    const log = this.#logs.get(logId(key, rule));
    return decide(log ? log.hits.slice(log.head) : [], rule, now).decision;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#logs.clear();
  }

  #evictOverflow(): void {
    while (this.#logs.size > this.#maxKeys) {
      const oldest = this.#logs.keys().next();
      if (oldest.done) return;
      this.#logs.delete(oldest.value);
    }
  }

  #assertOpen(): void {
    // Answering after close would look like "no hits recorded" and let everything through.
    if (this.#closed) throw new LimiterUnavailableError("Rate limit store is closed");
  }
}

function logId(key: string, rule: WindowRule): string {
  return `${rule.windowMs}\u0000${key}`;
}
