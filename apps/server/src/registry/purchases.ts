// The seam between acquiring a priced listing and paying for it (the wallet and spend policies replace the
// default, which refuses every priced listing).
import type { Kysely } from "kysely";
import type { AuditContext } from "../audit/store.js";
import type { DB } from "../db/schema.js";
import { failure } from "../failure.js";

export interface PurchaseInput {
  userId: string;
  /** The team the caller's token acts in. */
  teamId: string;
  tokenId: string;
  listingId: string;
  /** `vendor/slug` */
  name: string;
  vendorSlug: string;
  vendorTeamId: string;
  type: string;
  priceCents: number;
  /** The client's Idempotency-Key, when it sent one: a retry charges once. */
  idempotencyKey?: string | undefined;
  ctx: AuditContext;
  /**
   * The registry's own write (the entitlement and its audit row): the implementation runs it inside the
   * charge's transaction, after the ledger entry, so both commit or neither does.
   */
  within: (trx: Kysely<DB>, ledgerEntryId: string) => Promise<void>;
}

export interface Purchases {
  /**
   * Charges the caller for the listing. Resolves only when paid; otherwise throws a Failure, e.g.
   * PAYMENT_REQUIRED (402) with `details.approvalUrl` when someone can approve it.
   */
  charge(input: PurchaseInput): Promise<{ ok: true; ledgerEntryId: string }>;
}

/** No wallet configured: a priced listing cannot be acquired. */
export const noWallet: Purchases = {
  charge: () =>
    Promise.reject(failure("PAYMENT_REQUIRED", "This listing is priced and no wallet is configured")),
};
