// The wallet's seams: the payment provider a top-up goes through, and what a charge needs to know.
import type { Kysely } from "kysely";
import type { AuditContext } from "../../audit/store.js";
import type { DB } from "../../db/schema.js";

/**
 * Where top-up money comes from. `topup` must be idempotent by `idempotencyKey` (a retried call returns the same
 * providerRef and moves money once); it is called before the ledger row is written. No card processor ships:
 * the operator provider (`mogplex admin wallet-topup`) records money received out of band.
 */
export interface PaymentProvider {
  readonly name: string;
  topup(input: {
    teamId: string;
    amountCents: number;
    idempotencyKey: string;
  }): Promise<{ providerRef: string }>;
}

/** The priced listing being bought. */
export interface ChargeListing {
  /** `vendor/slug` */
  name: string;
  vendor: string;
  type: string;
  priceCents: number;
}

export interface ChargeRequest {
  teamId: string;
  userId: string;
  /** The PAT making the purchase (its spend policy applies); null for a browser session (no policy). */
  tokenId: string | null;
  listing: ChargeListing;
  /** The client's key for this purchase: a retry with the same key charges once. Default: a fresh one. */
  idempotencyKey?: string | undefined;
  ctx: AuditContext;
  /**
   * Runs inside the charge's transaction, after the ledger row and before commit: the caller's own write (the
   * entitlement), so the charge and what it paid for commit or roll back together.
   */
  within?: ((trx: Kysely<DB>, ledgerEntryId: string) => Promise<void>) | undefined;
}

export interface ChargeResult {
  ok: true;
  ledgerEntryId: string;
  /** True when the idempotency key had already been charged: nothing new was taken. */
  replayed: boolean;
}
