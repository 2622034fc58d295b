// Pure sliding-log decision plus parsing of "limit/window" rule strings; all stores delegate their maths here.
import type { LimitDecision, WindowRule } from "./types.js";

/** Rejects rules that would make every decision meaningless (a zero limit or window denies or allows forever). */
export function assertValidRule(rule: WindowRule): void {
  if (!Number.isSafeInteger(rule.limit) || rule.limit < 1) {
    throw new RangeError(`Rate limit rule limit must be a positive integer, got ${String(rule.limit)}`);
  }
  if (!Number.isSafeInteger(rule.windowMs) || rule.windowMs < 1) {
    throw new RangeError(`Rate limit rule windowMs must be a positive integer, got ${String(rule.windowMs)}`);
  }
}

export function assertValidNow(now: number): void {
  if (!Number.isFinite(now)) {
    throw new RangeError(`Rate limit clock value must be a finite number, got ${String(now)}`);
  }
}

/**
 * `hits` must be ascending. A hit exactly windowMs old is already outside the window, so a hit at t
 * frees its slot at t + windowMs — matching the retryAfterMs we promise.
 */
export function decide(
  hits: readonly number[],
  rule: WindowRule,
  now: number,
): { decision: LimitDecision; hits: number[] } {
  assertValidRule(rule);
  assertValidNow(now);
  const cutoff = now - rule.windowMs;
  let firstLive = 0;
  while (firstLive < hits.length && (hits[firstLive] as number) <= cutoff) firstLive++;
  const live = hits.slice(firstLive);

  if (live.length < rule.limit) {
    // A clock that stepped backwards (or a skewed replica) can yield now < last hit; keep the log sorted anyway.
    let at = live.length;
    while (at > 0 && (live[at - 1] as number) > now) at--;
    live.splice(at, 0, now);
    return {
      decision: { allowed: true, remaining: rule.limit - live.length, retryAfterMs: 0 },
      hits: live,
    };
  }

  // If the limit was lowered, more than `limit` hits can be live; a slot frees only once the excess
  // has aged out too, so look at the hit that must expire last rather than strictly the oldest.
  const blocking = live[live.length - rule.limit] as number;
  const retryAfterMs = Math.max(1, Math.ceil(blocking + rule.windowMs - now));
  return { decision: { allowed: false, remaining: 0, retryAfterMs }, hits: live };
}

/** A mutable sliding log: `hits[head..]` are the live, ascending timestamps. */
export interface HitLog {
  hits: number[];
  head: number;
}

/**
 * The same decision as `decide`, applied in place: amortised O(1) per hit instead of copying the whole
 * log, so a raised limit (thousands of hits per window) doesn't make every request pay O(limit).
 */
export function decideInPlace(log: HitLog, rule: WindowRule, now: number): LimitDecision {
  assertValidRule(rule);
  assertValidNow(now);
  const h = log.hits;
  const cutoff = now - rule.windowMs;
  while (log.head < h.length && (h[log.head] as number) <= cutoff) log.head++;
  if (log.head > 64 && log.head * 2 > h.length) {
    // Compact once most of the array is expired, keeping memory proportional to the live hits.
    h.splice(0, log.head);
    log.head = 0;
  }
  const live = h.length - log.head;
  if (live < rule.limit) {
    let at = h.length;
    while (at > log.head && (h[at - 1] as number) > now) at--;
    if (at === h.length) h.push(now);
    else h.splice(at, 0, now);
    return { allowed: true, remaining: rule.limit - live - 1, retryAfterMs: 0 };
  }
  const blocking = h[h.length - rule.limit] as number;
  return {
    allowed: false,
    remaining: 0,
    retryAfterMs: Math.max(1, Math.ceil(blocking + rule.windowMs - now)),
  };
}

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

const RULE_PATTERN = /^(\d+)\s*\/\s*(\d*)\s*(ms|s|m|h|d)$/;

function ruleError(input: string, why: string): Error {
  return new Error(
    `Invalid rate limit rule ${JSON.stringify(input)}: ${why}. ` +
      `Expected "<limit>/<window>" such as "10/1m", "60/60s", "5/500ms" (units: ms, s, m, h, d).`,
  );
}

/** "10/1m" → { limit: 10, windowMs: 60000 }. The window amount may be omitted ("10/m" = per minute). */
export function parseRule(input: string): WindowRule {
  const text = input.trim();
  const match = RULE_PATTERN.exec(text);
  if (!match) throw ruleError(input, "unrecognised format");
  const [, limitText = "", amountText = "", unitText = ""] = match;
  const limit = Number(limitText);
  const amount = amountText === "" ? 1 : Number(amountText);
  const windowMs = amount * UNIT_MS[unitText as Unit];
  if (!Number.isSafeInteger(limit) || limit < 1) throw ruleError(input, "limit must be a positive integer");
  if (!Number.isSafeInteger(windowMs) || windowMs < 1)
    throw ruleError(input, "window must be a positive duration");
  return { limit, windowMs };
}

/** "10/1m,30/1h,150/1d" → three rules. Empty entries are errors so a stray comma can't silently drop a limit. */
export function parseRules(input: string): WindowRule[] {
  if (input.trim() === "") {
    throw new Error(`Invalid rate limit rules ${JSON.stringify(input)}: no rules given`);
  }
  return input.split(",").map((part, i) => {
    if (part.trim() === "") {
      throw new Error(`Invalid rate limit rules ${JSON.stringify(input)}: entry ${i + 1} is empty`);
    }
    return parseRule(part);
  });
}
