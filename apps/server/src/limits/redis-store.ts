// Redis-backed RateLimitStore shared by all replicas; one Lua script keeps each check-and-record atomic.
import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { assertValidNow, assertValidRule } from "./sliding-window.js";
import {
  type LimitDecision,
  LimiterUnavailableError,
  type RateLimitStore,
  type WindowRule,
} from "./types.js";

export interface RedisRateLimitStoreOptions {
  redis: Redis;
  /** Namespace for every key this store touches. */
  prefix?: string;
  /** Longest we wait for Redis before failing closed. */
  timeoutMs?: number;
  /** The client is usually shared with other features, so close() leaves it open unless told otherwise. */
  quitOnClose?: boolean;
}

// Mirrors decide() in sliding-window.ts. Timestamps and the cutoff arrive as strings computed in JS because
// Lua's number-to-string conversion keeps only 14 significant digits when it hands numbers back to Redis.
// KEYS[1] log  ARGV: 1 now, 2 cutoff (now - windowMs), 3 windowMs, 4 limit, 5 member, 6 record ("1"/"0")
const SCRIPT = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[2])
local count = redis.call('ZCARD', key)
if count < limit then
  if ARGV[6] == '1' then
    redis.call('ZADD', key, ARGV[1], ARGV[5])
    local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    local ttl = math.ceil(tonumber(newest[2]) + window - now)
    if ttl < window then ttl = window end
    redis.call('PEXPIRE', key, ttl)
  end
  return {1, limit - count - 1, 0}
end
local idx = count - limit
local blocking = redis.call('ZRANGE', key, idx, idx, 'WITHSCORES')
local retry = math.ceil(tonumber(blocking[2]) + window - now)
if retry < 1 then retry = 1 end
return {0, 0, retry}
`;

const SCRIPT_SHA = createHash("sha1").update(SCRIPT).digest("hex");

/**
 * Hits are a sorted set of timestamps per (key, windowMs). Members carry a per-instance random tag and a
 * counter so two hits in the same millisecond — from this or another replica — stay distinct entries.
 * Replicas should run NTP-synced clocks: `now` comes from the caller, not from Redis.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #quitOnClose: boolean;
  readonly #instanceTag = randomBytes(6).toString("base64url");
  #sequence = 0;
  #closed = false;

  constructor(options: RedisRateLimitStoreOptions) {
    const timeoutMs = options.timeoutMs ?? 1000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`timeoutMs must be a positive number, got ${String(timeoutMs)}`);
    }
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? "ratelimit:";
    this.#timeoutMs = timeoutMs;
    this.#quitOnClose = options.quitOnClose ?? false;
  }

  hit(key: string, rule: WindowRule, now: number): Promise<LimitDecision> {
    return this.#run(key, rule, now, true);
  }

  peek(key: string, rule: WindowRule, now: number): Promise<LimitDecision> {
    return this.#run(key, rule, now, false);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#quitOnClose) {
      try {
        await this.#redis.quit();
      } catch {
        // Already disconnected is the state we wanted.
      }
    }
  }

  /** The Redis key holding a log, so operators and tests can inspect or clear it. */
  keyFor(key: string, rule: WindowRule): string {
    // windowMs is digits only, so splitting at the last ':' recovers the parts and distinct pairs never collide.
    return `${this.#prefix}${key}:${rule.windowMs}`;
  }

  async #run(key: string, rule: WindowRule, now: number, record: boolean): Promise<LimitDecision> {
    assertValidRule(rule);
    assertValidNow(now);
    if (this.#closed) throw new LimiterUnavailableError("Rate limit store is closed");

    const args = [
      String(now),
      String(now - rule.windowMs),
      String(rule.windowMs),
      String(rule.limit),
      `${this.#instanceTag}:${(this.#sequence++).toString(36)}`,
      record ? "1" : "0",
    ];
    const reply = await this.#withTimeout(this.#evaluate(this.keyFor(key, rule), args));
    return parseReply(reply);
  }

  async #evaluate(redisKey: string, args: string[]): Promise<unknown> {
    try {
      return await this.#redis.evalsha(SCRIPT_SHA, 1, redisKey, ...args);
    } catch (error) {
      // After a restart or SCRIPT FLUSH the cache is empty; EVAL both runs and re-caches the script.
      if (error instanceof Error && error.message.startsWith("NOSCRIPT")) {
        return await this.#redis.eval(SCRIPT, 1, redisKey, ...args);
      }
      throw error;
    }
  }

  async #withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new LimiterUnavailableError(`Rate limit backend did not answer within ${this.#timeoutMs}ms`),
          ),
        this.#timeoutMs,
      );
    });
    try {
      // A command that lands after we gave up may still record a hit; over-counting is the safe direction.
      return await Promise.race([work, timeout]);
    } catch (error) {
      if (error instanceof LimiterUnavailableError) throw error;
      throw new LimiterUnavailableError(`Rate limit backend failed: ${describe(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

function parseReply(reply: unknown): LimitDecision {
  if (Array.isArray(reply)) {
    const items: readonly unknown[] = reply;
    const [allowed, remaining, retryAfterMs] = items;
    if (items.length === 3 && isCount(allowed) && isCount(remaining) && isCount(retryAfterMs)) {
      return { allowed: allowed === 1, remaining, retryAfterMs };
    }
  }
  // Anything else means a foreign script or proxy answered; trusting it could mean allowing blindly.
  throw new LimiterUnavailableError(`Rate limit backend returned an unexpected reply: ${describe(reply)}`);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
