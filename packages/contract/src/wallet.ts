// The registry wallet's shapes: ledger entries, the wallet view, top-ups, per-token spend policies, approvals.
import { z } from "zod";
import { IsoDate } from "./common.js";

/** Smallest and largest top-up, in cents (checked server-side for every provider). */
export const TOPUP_MIN_CENTS = 100;
export const TOPUP_MAX_CENTS = 1_000_000;
/** Ceiling of any amount a policy names (a million dollars), so sums stay exact integers. */
export const POLICY_MAX_CENTS = 100_000_000;

const PACKAGE_TYPES = ["skill", "rule", "mcp", "bundle", "template"] as const;
const VENDOR_SLUG = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

export const LedgerEntry = z.object({
  id: z.string(),
  kind: z.enum(["topup", "purchase", "refund"]),
  /** Signed: a top-up or refund adds, a purchase subtracts. */
  amountCents: z.number().int(),
  reference: z.string(),
  tokenId: z.string().nullable(),
  approvalId: z.string().nullable(),
  createdAt: IsoDate,
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;

export const Wallet = z.object({
  teamId: z.string(),
  /** The sum of the ledger; never negative. */
  balanceCents: z.number().int(),
  entries: z.array(LedgerEntry),
});
export type Wallet = z.infer<typeof Wallet>;

export const TopupRequest = z
  .object({
    amountCents: z
      .number({ error: "amountCents must be an integer number of cents" })
      .int("amountCents must be an integer number of cents")
      .min(TOPUP_MIN_CENTS, `amountCents must be at least ${TOPUP_MIN_CENTS}`)
      .max(TOPUP_MAX_CENTS, `amountCents must be at most ${TOPUP_MAX_CENTS}`),
  })
  .strict();
export type TopupRequest = z.infer<typeof TopupRequest>;

export const TopupResult = z.object({
  entry: LedgerEntry,
  balanceCents: z.number().int(),
  /** True when this Idempotency-Key had already topped up: nothing new was charged. */
  replayed: z.boolean(),
});
export type TopupResult = z.infer<typeof TopupResult>;

const cents = (name: string) =>
  z
    .number({ error: `${name} must be an integer number of cents` })
    .int(`${name} must be an integer number of cents`)
    .min(0, `${name} must not be negative`)
    .max(POLICY_MAX_CENTS, `${name} must be at most ${POLICY_MAX_CENTS}`)
    .nullable();

/** A token's spend policy as set by a team owner or admin; null limits are "no limit". */
export const SpendPolicyInput = z
  .object({
    maxPerPurchaseCents: cents("maxPerPurchaseCents").default(null),
    dailyLimitCents: cents("dailyLimitCents").default(null),
    monthlyLimitCents: cents("monthlyLimitCents").default(null),
    requireApprovalAboveCents: cents("requireApprovalAboveCents").default(null),
    /** Vendor slugs this token may buy from; null = any vendor. */
    vendorAllowlist: z
      .array(z.string().regex(VENDOR_SLUG, "vendorAllowlist holds vendor slugs").max(32), {
        error: "vendorAllowlist must be an array of vendor slugs or null",
      })
      .max(100)
      .nullable()
      .default(null),
    blockedTypes: z
      .array(z.enum(PACKAGE_TYPES, { error: `blockedTypes must be among: ${PACKAGE_TYPES.join(", ")}` }))
      .max(PACKAGE_TYPES.length)
      .default([]),
    /** Over the daily or monthly limit: `block` (403) or `approval` (402 and a pending approval). */
    onLimitExceeded: z.enum(["block", "approval"]).default("block"),
    active: z.boolean().default(true),
  })
  .strict();
export type SpendPolicyInput = z.infer<typeof SpendPolicyInput>;

export const SpendPolicy = z.object({
  tokenId: z.string(),
  maxPerPurchaseCents: z.number().int().nullable(),
  dailyLimitCents: z.number().int().nullable(),
  monthlyLimitCents: z.number().int().nullable(),
  requireApprovalAboveCents: z.number().int().nullable(),
  vendorAllowlist: z.array(z.string()).nullable(),
  blockedTypes: z.array(z.string()),
  onLimitExceeded: z.enum(["block", "approval"]),
  active: z.boolean(),
  updatedAt: IsoDate,
});
export type SpendPolicy = z.infer<typeof SpendPolicy>;

export const ApprovalStatus = z.enum(["pending", "approved", "denied", "consumed", "expired"]);
export const SpendApproval = z.object({
  id: z.string(),
  tokenId: z.string(),
  userId: z.string(),
  listing: z.string(),
  vendor: z.string(),
  type: z.string(),
  amountCents: z.number().int(),
  reason: z.enum(["above_threshold", "daily_limit", "monthly_limit"]),
  status: ApprovalStatus,
  createdAt: IsoDate,
  expiresAt: IsoDate,
  decidedAt: IsoDate.nullable(),
  decidedBy: z.string().nullable(),
  consumedAt: IsoDate.nullable(),
});
export type SpendApproval = z.infer<typeof SpendApproval>;

export const ApprovalListQuery = z
  .object({ status: ApprovalStatus.optional().describe("only approvals in this state") })
  .strict();

/** The web app's page for one approval: `approvalUrl` in a 402 is the server's base URL + this + `/<id>`. */
export const APPROVAL_PAGE_PATH = "/registry/approvals";
