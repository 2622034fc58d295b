// Spend approvals: a purchase the policy holds back becomes a pending row a team owner approves or denies; an
// approved row is consumed by the same token's retry of the same purchase, in the charge's transaction.
import type { SpendApproval } from "@mogplex/contract";
import type { Kysely } from "kysely";
import { iso } from "../../clock.js";
import type { DB } from "../../db/schema.js";
import type { SpendApprovalsTable } from "../../db/schema-wallet.js";
import type { ApprovalReason } from "./policy.js";
import type { ChargeListing } from "./types.js";

/** How long a request stays open, and an approval usable: a week from the request. */
export const APPROVAL_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export function toApproval(r: SpendApprovalsTable, now: number): SpendApproval {
  const open = r.status === "pending" || r.status === "approved";
  return {
    id: r.id,
    tokenId: r.token_id,
    userId: r.user_id,
    listing: r.listing,
    vendor: r.vendor,
    type: r.type,
    amountCents: Number(r.amount_cents),
    reason: r.reason,
    status: open && Number(r.expires_at) <= now ? "expired" : r.status,
    createdAt: iso(Number(r.created_at)),
    expiresAt: iso(Number(r.expires_at)),
    decidedAt: iso(r.decided_at === null ? null : Number(r.decided_at)),
    decidedBy: r.decided_by,
    consumedAt: iso(r.consumed_at === null ? null : Number(r.consumed_at)),
  };
}

/** An open request or approval of this token for exactly this purchase (listing and price), if any. */
export async function openApproval(
  db: Kysely<DB>,
  tokenId: string,
  listing: ChargeListing,
  status: "pending" | "approved",
  now: number,
): Promise<SpendApprovalsTable | undefined> {
  return db
    .selectFrom("spend_approvals")
    .selectAll()
    .where("token_id", "=", tokenId)
    .where("listing", "=", listing.name)
    .where("amount_cents", "=", listing.priceCents)
    .where("status", "=", status)
    .where("expires_at", ">", now)
    .orderBy("created_at", "asc")
    .limit(1)
    .executeTakeFirst();
}

export async function insertApproval(
  trx: Kysely<DB>,
  a: { teamId: string; tokenId: string; userId: string; listing: ChargeListing; reason: ApprovalReason },
  id: string,
  now: number,
): Promise<void> {
  await trx
    .insertInto("spend_approvals")
    .values({
      id,
      team_id: a.teamId,
      token_id: a.tokenId,
      user_id: a.userId,
      listing: a.listing.name,
      vendor: a.listing.vendor,
      type: a.listing.type,
      amount_cents: a.listing.priceCents,
      reason: a.reason,
      status: "pending",
      created_at: now,
      expires_at: now + APPROVAL_TTL_MS,
      decided_at: null,
      decided_by: null,
      consumed_at: null,
      ledger_entry_id: null,
    })
    .execute();
}

/** Marks an approval used by this ledger entry; false when another charge got there first. */
export async function consumeApproval(trx: Kysely<DB>, id: string, entryId: string, now: number) {
  const r = await trx
    .updateTable("spend_approvals")
    .set({ status: "consumed", consumed_at: now, ledger_entry_id: entryId })
    .where("id", "=", id)
    .where("status", "=", "approved")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
