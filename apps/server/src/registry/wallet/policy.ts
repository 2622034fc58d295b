// Per-token spend policies: stored rows ↔ the contract's shape, and the pure verdict a charge acts on.
import type { SpendPolicy, SpendPolicyInput } from "@mogplex/contract";
import type { Kysely } from "kysely";
import { iso } from "../../clock.js";
import type { DB } from "../../db/schema.js";
import type { SpendApprovalsTable, SpendPoliciesTable } from "../../db/schema-wallet.js";
import { dollars } from "./ledger.js";
import type { ChargeListing } from "./types.js";

export type ApprovalReason = SpendApprovalsTable["reason"];

/** What the policy says about one purchase: go ahead, refuse (403), or only with an owner's approval (402). */
export type Verdict =
  | { kind: "allow" }
  | { kind: "refuse"; message: string }
  | { kind: "approval"; reason: ApprovalReason; message: string };

export interface Spent {
  today: number;
  month: number;
}

const list = (v: string | null): string[] | null => (v === null ? null : (JSON.parse(v) as string[]));
const num = (v: number | null) => (v === null ? null : Number(v));

export function toPolicy(r: SpendPoliciesTable): SpendPolicy {
  return {
    tokenId: r.token_id,
    maxPerPurchaseCents: num(r.max_per_purchase_cents),
    dailyLimitCents: num(r.daily_limit_cents),
    monthlyLimitCents: num(r.monthly_limit_cents),
    requireApprovalAboveCents: num(r.require_approval_above_cents),
    vendorAllowlist: list(r.vendor_allowlist),
    blockedTypes: list(r.blocked_types) ?? [],
    onLimitExceeded: r.on_limit,
    active: r.active === 1,
    updatedAt: iso(Number(r.updated_at)),
  };
}

export async function policyOf(db: Kysely<DB>, tokenId: string): Promise<SpendPolicy | null> {
  const row = await db
    .selectFrom("spend_policies")
    .selectAll()
    .where("token_id", "=", tokenId)
    .executeTakeFirst();
  return row ? toPolicy(row) : null;
}

export async function writePolicy(
  trx: Kysely<DB>,
  teamId: string,
  tokenId: string,
  p: SpendPolicyInput,
  by: string | null,
  now: number,
): Promise<void> {
  const values = {
    max_per_purchase_cents: p.maxPerPurchaseCents,
    daily_limit_cents: p.dailyLimitCents,
    monthly_limit_cents: p.monthlyLimitCents,
    require_approval_above_cents: p.requireApprovalAboveCents,
    vendor_allowlist: p.vendorAllowlist === null ? null : JSON.stringify(p.vendorAllowlist),
    blocked_types: JSON.stringify(p.blockedTypes),
    on_limit: p.onLimitExceeded,
    active: p.active ? 1 : 0,
    updated_by: by,
    updated_at: now,
  };
  await trx
    .insertInto("spend_policies")
    .values({ token_id: tokenId, team_id: teamId, created_at: now, ...values })
    .onConflict((oc) => oc.column("token_id").doUpdateSet(values))
    .execute();
}

/**
 * Hard rules first (a blocked type, a vendor off the allowlist, over the per-purchase maximum: refused whatever
 * an approval says), then the daily and monthly limits (refused, or an approval when the policy says so), then
 * the approval threshold.
 */
export function evaluate(policy: SpendPolicy | null, listing: ChargeListing, spent: Spent): Verdict {
  if (!policy?.active) return { kind: "allow" };
  const price = listing.priceCents;
  if (policy.blockedTypes.includes(listing.type)) {
    return { kind: "refuse", message: `Spend policy: this token may not buy ${listing.type} packages` };
  }
  if (policy.vendorAllowlist !== null && !policy.vendorAllowlist.includes(listing.vendor)) {
    return {
      kind: "refuse",
      message: `Spend policy: vendor ${listing.vendor} is not on this token's vendor allowlist`,
    };
  }
  if (policy.maxPerPurchaseCents !== null && price > policy.maxPerPurchaseCents) {
    return {
      kind: "refuse",
      message: `Spend policy: ${dollars(price)} is over this token's per-purchase maximum of ${dollars(policy.maxPerPurchaseCents)}`,
    };
  }
  const windows: Array<[number | null, number, ApprovalReason, string]> = [
    [policy.dailyLimitCents, spent.today, "daily_limit", "daily"],
    [policy.monthlyLimitCents, spent.month, "monthly_limit", "monthly"],
  ];
  for (const [limit, used, reason, word] of windows) {
    if (limit === null || used + price <= limit) continue;
    const what = `${dollars(price)} would take this token over its ${word} limit of ${dollars(limit)} (${dollars(used)} spent)`;
    if (policy.onLimitExceeded === "block") return { kind: "refuse", message: `Spend policy: ${what}` };
    return { kind: "approval", reason, message: `Approval required: ${what}` };
  }
  if (policy.requireApprovalAboveCents !== null && price > policy.requireApprovalAboveCents) {
    return {
      kind: "approval",
      reason: "above_threshold",
      message: `Approval required: ${dollars(price)} is over this token's approval threshold of ${dollars(policy.requireApprovalAboveCents)}`,
    };
  }
  return { kind: "allow" };
}
