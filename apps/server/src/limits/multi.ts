// Applies several window rules (e.g. per minute, hour and day) to one key, recording only when all allow.
import { assertValidRule } from "./sliding-window.js";
import type { LimitDecision, RateLimitStore, WindowRule } from "./types.js";

/**
 * Peeks every rule first and records nothing if any denies, so a burst that trips the minute rule does
 * not also burn the hour and day budgets. Then records a hit under every rule.
 *
 * Cross-rule atomicity is best-effort: between the peek and the hits another request may take the last
 * slot of one rule, in which case the hits already recorded under the other rules stand (over-counting,
 * never under-counting) and the request is denied. Each single rule is still exact, since every store
 * hit is atomic. Budgets that must be exact across rules — such as run-start budgets — are enforced
 * transactionally in the database instead of here.
 *
 * Stores keep one log per (key, windowMs), so rules sharing a window are collapsed to the strictest
 * limit; recording under each would count a single request twice.
 *
 * When denied, returns the denial with the largest retryAfterMs: retrying any earlier is pointless.
 */
export async function hitAll(
  store: RateLimitStore,
  key: string,
  rules: readonly WindowRule[],
  now: number,
): Promise<LimitDecision> {
  const effective = strictestPerWindow(rules);

  const peeks = await Promise.all(effective.map((rule) => store.peek(key, rule, now)));
  const peekDenial = longestDenial(peeks);
  if (peekDenial) return peekDenial;

  const hits = await Promise.all(effective.map((rule) => store.hit(key, rule, now)));
  const hitDenial = longestDenial(hits);
  if (hitDenial) return hitDenial;

  return {
    allowed: true,
    remaining: Math.min(...hits.map((d) => d.remaining)),
    retryAfterMs: 0,
  };
}

function strictestPerWindow(rules: readonly WindowRule[]): WindowRule[] {
  // An empty list is almost certainly a config mistake; treating it as "unlimited" would fail open.
  if (rules.length === 0) throw new Error("hitAll needs at least one rule");
  const byWindow = new Map<number, WindowRule>();
  for (const rule of rules) {
    assertValidRule(rule);
    const seen = byWindow.get(rule.windowMs);
    if (!seen || rule.limit < seen.limit) byWindow.set(rule.windowMs, rule);
  }
  return [...byWindow.values()];
}

function longestDenial(decisions: readonly LimitDecision[]): LimitDecision | undefined {
  let worst: LimitDecision | undefined;
  for (const d of decisions) {
    if (!d.allowed && (!worst || d.retryAfterMs > worst.retryAfterMs)) worst = d;
  }
  return worst;
}
