// The team wallet: the balance derived from the append-only ledger, idempotent top-ups through a payment
// provider, charges under per-token spend policies (charge.ts), refunds, policies and owner approvals.
import {
  type SpendApproval,
  type SpendPolicy,
  type SpendPolicyInput,
  type TeamMember,
  TOPUP_MAX_CENTS,
  TOPUP_MIN_CENTS,
  type TopupResult,
  type Wallet,
} from "@mogplex/contract";
import type { Kysely } from "kysely";
import type { AuditContext, AuditLog } from "../../audit/store.js";
import type { Clock } from "../../clock.js";
import type { Dialect } from "../../db/connect.js";
import type { DB } from "../../db/schema.js";
import type { ApprovalStatus } from "../../db/schema-wallet.js";
import { failure, notFound } from "../../failure.js";
import { toApproval } from "./approvals.js";
import { type ChargeDeps, charge } from "./charge.js";
import {
  appendEntry,
  balanceOf,
  findByKey,
  lockWallet,
  recentEntries,
  requestHash,
  toEntry,
} from "./ledger.js";
import { policyOf, toPolicy, writePolicy } from "./policy.js";
import type { ChargeRequest, ChargeResult, PaymentProvider } from "./types.js";

export interface WalletOptions {
  db: Kysely<DB>;
  dialect: Dialect;
  audit: AuditLog;
  clock: Clock;
  /** Absolute URL of the web app's page for one approval (the team named as ?team=). */
  approvalUrl: (approvalId: string, teamId: string) => string;
  /** What `POST /wallet/topups` charges through; null = no payment provider configured (the route refuses). */
  provider: PaymentProvider | null;
}

export interface TokenPolicyRow {
  tokenId: string;
  name: string;
  prefix: string;
  userId: string;
  revoked: boolean;
  policy: SpendPolicy | null;
}

const IDEMPOTENCY_KEY_MAX = 200;

export class WalletService {
  /** The provider behind the public top-up route (tests put a stand-in for a card processor here). */
  provider: PaymentProvider | null;
  private readonly deps: ChargeDeps;

  constructor(private readonly o: WalletOptions) {
    this.provider = o.provider;
    this.deps = { db: o.db, dialect: o.dialect, audit: o.audit, clock: o.clock, approvalUrl: o.approvalUrl };
  }

  /** The balance and the newest entries. */
  async wallet(teamId: string, limit = 20): Promise<Wallet> {
    return {
      teamId,
      balanceCents: await balanceOf(this.o.db, teamId),
      entries: await recentEntries(this.o.db, teamId, limit),
    };
  }

  /**
   * Adds money once per Idempotency-Key: a retry (or a concurrent duplicate) returns the first entry and moves
   * nothing; the same key with another amount is an IDEMPOTENCY_CONFLICT.
   */
  async topup(
    teamId: string,
    input: { amountCents: number; idempotencyKey: string; provider: PaymentProvider },
    ctx: AuditContext,
  ): Promise<TopupResult> {
    const { amountCents, idempotencyKey, provider } = input;
    if (!Number.isInteger(amountCents) || amountCents < TOPUP_MIN_CENTS || amountCents > TOPUP_MAX_CENTS) {
      throw failure(
        "BAD_REQUEST",
        `amountCents must be an integer from ${TOPUP_MIN_CENTS} to ${TOPUP_MAX_CENTS}`,
      );
    }
    if (idempotencyKey.trim() === "" || idempotencyKey.length > IDEMPOTENCY_KEY_MAX) {
      throw failure("BAD_REQUEST", `Idempotency-Key must be 1-${IDEMPOTENCY_KEY_MAX} characters`);
    }
    const team = await this.o.db.selectFrom("teams").select("id").where("id", "=", teamId).executeTakeFirst();
    if (!team) throw notFound("Team");
    const key = `topup:${idempotencyKey}`;
    const hash = requestHash({ amountCents });
    const replay = async (prior: { id: string; request_hash: string }) => {
      if (prior.request_hash !== hash) {
        throw failure("IDEMPOTENCY_CONFLICT", "This Idempotency-Key was already used for a different top-up");
      }
      const row = await findByKey(this.o.db, teamId, key);
      return {
        entry: toEntry(row ?? (prior as never)),
        balanceCents: await balanceOf(this.o.db, teamId),
        replayed: true,
      };
    };
    const prior = await findByKey(this.o.db, teamId, key);
    if (prior) return replay(prior);
    // The provider is idempotent by key too: concurrent duplicates may both reach it and move money once.
    const { providerRef } = await provider.topup({ teamId, amountCents, idempotencyKey });
    const written = await this.o.db.transaction().execute(async (trx) => {
      const now = this.o.clock.now();
      await lockWallet(trx, this.o.dialect, teamId, now);
      const again = await findByKey(trx, teamId, key);
      if (again) return null;
      const entry = await appendEntry(
        trx,
        {
          team_id: teamId,
          kind: "topup",
          amount_cents: amountCents,
          idempotency_key: key,
          request_hash: hash,
          reference: provider.name,
          provider_ref: providerRef,
          token_id: null,
          user_id: ctx.actorId,
          approval_id: null,
        },
        now,
      );
      const balanceCents = await balanceOf(trx, teamId);
      await this.o.audit.append(trx, ctx, {
        teamId,
        action: "wallet.topup",
        targetType: "wallet_entry",
        targetId: entry.id,
        payload: { amountCents, provider: provider.name, balanceCents },
      });
      return { entry: toEntry(entry), balanceCents, replayed: false };
    });
    if (written) return written;
    const existing = await findByKey(this.o.db, teamId, key);
    if (!existing) throw failure("INTERNAL_ERROR", "top-up vanished");
    return replay(existing);
  }

  /** The registry's Purchases seam: see charge.ts. */
  charge(req: ChargeRequest): Promise<ChargeResult> {
    return charge(this.deps, req);
  }

  /** Gives a purchase's amount back once (operator action). */
  async refund(teamId: string, entryId: string, ctx: AuditContext) {
    return this.o.db.transaction().execute(async (trx) => {
      const now = this.o.clock.now();
      await lockWallet(trx, this.o.dialect, teamId, now);
      const original = await trx
        .selectFrom("wallet_ledger")
        .selectAll()
        .where("id", "=", entryId)
        .where("team_id", "=", teamId)
        .where("kind", "=", "purchase")
        .executeTakeFirst();
      if (!original) throw notFound("Purchase");
      const key = `refund:${entryId}`;
      if (await findByKey(trx, teamId, key)) throw failure("CONFLICT", "This purchase was already refunded");
      const amount = -Number(original.amount_cents);
      const entry = await appendEntry(
        trx,
        {
          team_id: teamId,
          kind: "refund",
          amount_cents: amount,
          idempotency_key: key,
          request_hash: requestHash({ entryId }),
          reference: entryId,
          provider_ref: null,
          token_id: original.token_id,
          user_id: ctx.actorId,
          approval_id: null,
        },
        now,
      );
      await this.o.audit.append(trx, ctx, {
        teamId,
        action: "wallet.refund",
        targetType: "wallet_entry",
        targetId: entry.id,
        payload: { refunded: entryId, amountCents: amount, listing: original.reference },
      });
      return toEntry(entry);
    });
  }

  /** The calling token's own policy (what the CLI shows); null = no policy, nothing is limited. */
  policyOf(tokenId: string): Promise<SpendPolicy | null> {
    return policyOf(this.o.db, tokenId);
  }

  /** Every token of the team with its policy (owners and admins manage them). */
  async listPolicies(teamId: string): Promise<TokenPolicyRow[]> {
    const rows = await this.o.db
      .selectFrom("personal_access_tokens as t")
      .leftJoin("spend_policies as p", "p.token_id", "t.id")
      .select(["t.id", "t.name", "t.prefix", "t.user_id", "t.revoked_at"])
      .selectAll("p")
      .where("t.team_id", "=", teamId)
      .orderBy("t.created_at", "desc")
      .execute();
    return rows.map((r) => ({
      tokenId: r.id,
      name: r.name,
      prefix: r.prefix,
      userId: r.user_id,
      revoked: r.revoked_at !== null,
      policy: r.token_id ? toPolicy(r as never) : null,
    }));
  }

  /** Sets (replaces) a team token's policy; audited with the values. */
  async setPolicy(
    by: TeamMember,
    tokenId: string,
    input: SpendPolicyInput,
    ctx: AuditContext,
  ): Promise<SpendPolicy> {
    await this.o.db.transaction().execute(async (trx) => {
      const token = await trx
        .selectFrom("personal_access_tokens")
        .select("id")
        .where("id", "=", tokenId)
        .where("team_id", "=", by.teamId)
        .executeTakeFirst();
      if (!token) throw notFound("Token");
      await writePolicy(trx, by.teamId, tokenId, input, by.userId, this.o.clock.now());
      await this.o.audit.append(trx, ctx, {
        teamId: by.teamId,
        action: "wallet.policy_set",
        targetType: "token",
        targetId: tokenId,
        payload: { ...input },
      });
    });
    return (await policyOf(this.o.db, tokenId)) as SpendPolicy;
  }

  /** Newest first (200 at most); `expired` is a pending or approved request past its expiry. */
  async listApprovals(teamId: string, status?: SpendApproval["status"]): Promise<SpendApproval[]> {
    const now = this.o.clock.now();
    let q = this.o.db.selectFrom("spend_approvals").selectAll().where("team_id", "=", teamId);
    if (status === "expired") {
      q = q.where("status", "in", ["pending", "approved"]).where("expires_at", "<=", now);
    } else if (status === "pending" || status === "approved") {
      q = q.where("status", "=", status).where("expires_at", ">", now);
    } else if (status) {
      q = q.where("status", "=", status);
    }
    const rows = await q.orderBy("created_at", "desc").orderBy("id", "desc").limit(200).execute();
    return rows.map((r) => toApproval(r, now));
  }

  async approval(teamId: string, id: string): Promise<SpendApproval> {
    const row = await this.o.db
      .selectFrom("spend_approvals")
      .selectAll()
      .where("id", "=", id)
      .where("team_id", "=", teamId)
      .executeTakeFirst();
    if (!row) throw notFound("Approval");
    return toApproval(row, this.o.clock.now());
  }

  /** An owner approves or denies a pending request; anything already decided or expired is a CONFLICT. */
  async decide(
    by: TeamMember,
    id: string,
    decision: "approve" | "deny",
    ctx: AuditContext,
  ): Promise<SpendApproval> {
    await this.o.db.transaction().execute(async (trx) => {
      const now = this.o.clock.now();
      await lockWallet(trx, this.o.dialect, by.teamId, now);
      const row = await trx
        .selectFrom("spend_approvals")
        .selectAll()
        .where("id", "=", id)
        .where("team_id", "=", by.teamId)
        .executeTakeFirst();
      if (!row) throw notFound("Approval");
      const current = toApproval(row, now).status;
      if (current !== "pending") throw failure("CONFLICT", `This approval request is already ${current}`);
      const status: ApprovalStatus = decision === "approve" ? "approved" : "denied";
      await trx
        .updateTable("spend_approvals")
        .set({ status, decided_at: now, decided_by: by.userId })
        .where("id", "=", id)
        .execute();
      await this.o.audit.append(trx, ctx, {
        teamId: by.teamId,
        action: decision === "approve" ? "wallet.approval_approved" : "wallet.approval_denied",
        targetType: "spend_approval",
        targetId: id,
        payload: { listing: row.listing, amountCents: Number(row.amount_cents), tokenId: row.token_id },
      });
    });
    return this.approval(by.teamId, id);
  }
}
