// A purchase against the team's wallet: the token's spend policy, an owner's approval when it asks for one,
// then the balance check and the ledger row, all under the team's wallet lock in one transaction.
import type { Kysely } from "kysely";
import type { AuditLog } from "../../audit/store.js";
import type { Clock } from "../../clock.js";
import type { Dialect } from "../../db/connect.js";
import type { DB } from "../../db/schema.js";
import type { WalletLedgerTable } from "../../db/schema-wallet.js";
import { failure } from "../../failure.js";
import { newId } from "../../security/random.js";
import { consumeApproval, insertApproval, openApproval } from "./approvals.js";
import {
  appendEntry,
  balanceOf,
  dollars,
  findByKey,
  lockWallet,
  requestHash,
  spentSince,
  windowStarts,
} from "./ledger.js";
import { evaluate, policyOf, type Verdict } from "./policy.js";
import type { ChargeRequest, ChargeResult } from "./types.js";

export interface ChargeDeps {
  db: Kysely<DB>;
  dialect: Dialect;
  audit: AuditLog;
  clock: Clock;
  /** Absolute URL of the web app's page for one approval (the team named as ?team=). */
  approvalUrl: (approvalId: string, teamId: string) => string;
}

type Outcome =
  | { kind: "charged"; result: ChargeResult }
  | { kind: "refused"; message: string; category: "policy" | "balance" }
  | { kind: "approval"; verdict: Extract<Verdict, { kind: "approval" }> };

function replay(prior: WalletLedgerTable, hash: string): ChargeResult {
  if (prior.request_hash !== hash) {
    throw failure("IDEMPOTENCY_CONFLICT", "This idempotency key was already used for a different purchase");
  }
  return { ok: true, ledgerEntryId: prior.id, replayed: true };
}

export async function charge(d: ChargeDeps, req: ChargeRequest): Promise<ChargeResult> {
  const { listing, teamId } = req;
  if (!Number.isSafeInteger(listing.priceCents) || listing.priceCents <= 0) {
    throw failure("BAD_REQUEST", "Only a listing with a positive price in cents can be charged");
  }
  // Scoped to the buyer: two members of a team may pick the same client key for different purchases.
  const key = `purchase:${req.userId}:${req.idempotencyKey ?? newId()}`;
  const hash = requestHash({ listing: listing.name, amountCents: listing.priceCents });
  const prior = await findByKey(d.db, teamId, key);
  if (prior) return replay(prior, hash);

  const outcome = await d.db.transaction().execute(async (trx): Promise<Outcome> => {
    const now = d.clock.now();
    await lockWallet(trx, d.dialect, teamId, now);
    const again = await findByKey(trx, teamId, key);
    if (again) return { kind: "charged", result: replay(again, hash) };
    let approvalId: string | null = null;
    if (req.tokenId) {
      const policy = await policyOf(trx, req.tokenId);
      const w = windowStarts(now);
      const spent = policy?.active
        ? {
            today: await spentSince(trx, req.tokenId, w.day),
            month: await spentSince(trx, req.tokenId, w.month),
          }
        : { today: 0, month: 0 };
      const verdict = evaluate(policy, listing, spent);
      if (verdict.kind === "refuse") return { kind: "refused", message: verdict.message, category: "policy" };
      if (verdict.kind === "approval") {
        const approved = await openApproval(trx, req.tokenId, listing, "approved", now);
        if (!approved) return { kind: "approval", verdict };
        approvalId = approved.id;
      }
    }
    const balance = await balanceOf(trx, teamId);
    if (balance < listing.priceCents) {
      return {
        kind: "refused",
        category: "balance",
        message:
          `Insufficient wallet balance: ${listing.name} costs ${dollars(listing.priceCents)} and the team's wallet ` +
          `holds ${dollars(balance)}; a team owner can top it up`,
      };
    }
    const entry = await appendEntry(
      trx,
      {
        team_id: teamId,
        kind: "purchase",
        amount_cents: -listing.priceCents,
        idempotency_key: key,
        request_hash: hash,
        reference: listing.name,
        provider_ref: null,
        token_id: req.tokenId,
        user_id: req.userId,
        approval_id: approvalId,
      },
      now,
    );
    // Under the team's lock the approval is still `approved`; consuming it here makes it good for one charge.
    if (approvalId && !(await consumeApproval(trx, approvalId, entry.id, now))) {
      throw failure("CONFLICT", "This approval was already used");
    }
    await d.audit.append(trx, req.ctx, {
      teamId,
      action: "wallet.purchase",
      targetType: "wallet_entry",
      targetId: entry.id,
      payload: {
        listing: listing.name,
        amountCents: listing.priceCents,
        tokenId: req.tokenId,
        approvalId,
        balanceCents: balance - listing.priceCents,
      },
    });
    await req.within?.(trx, entry.id);
    return { kind: "charged", result: { ok: true, ledgerEntryId: entry.id, replayed: false } };
  });

  if (outcome.kind === "charged") return outcome.result;
  if (outcome.kind === "refused") {
    await d.db.transaction().execute((trx) =>
      d.audit.append(trx, req.ctx, {
        teamId,
        action: "wallet.purchase_refused",
        targetType: "listing",
        targetId: listing.name,
        payload: { amountCents: listing.priceCents, tokenId: req.tokenId, category: outcome.category },
      }),
    );
    if (outcome.category === "policy") throw failure("FORBIDDEN", outcome.message);
    throw failure("PAYMENT_REQUIRED", outcome.message);
  }
  const approvalId = await requestApproval(d, req, outcome.verdict);
  throw failure(
    "PAYMENT_REQUIRED",
    `${outcome.verdict.message}. A team owner can approve it at the approval URL; then retry the purchase`,
    { approvalUrl: d.approvalUrl(approvalId, teamId) },
  );
}

/** The pending request for this purchase: the open one if the token already asked, else a new one (audited). */
async function requestApproval(
  d: ChargeDeps,
  req: ChargeRequest,
  verdict: Extract<Verdict, { kind: "approval" }>,
): Promise<string> {
  const tokenId = req.tokenId as string;
  return d.db.transaction().execute(async (trx) => {
    const now = d.clock.now();
    await lockWallet(trx, d.dialect, req.teamId, now);
    const open = await openApproval(trx, tokenId, req.listing, "pending", now);
    if (open) return open.id;
    const id = newId();
    await insertApproval(
      trx,
      { teamId: req.teamId, tokenId, userId: req.userId, listing: req.listing, reason: verdict.reason },
      id,
      now,
    );
    await d.audit.append(trx, req.ctx, {
      teamId: req.teamId,
      action: "wallet.approval_requested",
      targetType: "spend_approval",
      targetId: id,
      payload: {
        listing: req.listing.name,
        amountCents: req.listing.priceCents,
        tokenId,
        reason: verdict.reason,
      },
    });
    return id;
  });
}
