// The wallet service on the real database (SQLite, or PostgreSQL with MOGPLEX_TEST_DB=postgres): idempotent
// top-ups, spend policies, owner approvals consumed once, the balance never below zero.
import { APPROVAL_PAGE_PATH, type SpendPolicyInput } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditContext } from "../../audit/store.js";
import { Failure } from "../../failure.js";
import { BASE, createHarness, FakeClock, type Harness, type TestUser } from "../../test-support/harness.js";
import { APPROVAL_TTL_MS } from "./approvals.js";
import { OperatorPaymentProvider } from "./operator-provider.js";
import type { ChargeListing } from "./types.js";

let h: Harness;
const operator = new OperatorPaymentProvider();
const ctx: AuditContext = { actorType: "system", actorId: null, authSource: "admin-cli" };

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const listing = (priceCents: number, over: Partial<ChargeListing> = {}): ChargeListing => ({
  name: "acme/linter",
  vendor: "acme",
  type: "skill",
  priceCents,
  ...over,
});

const policy = (p: Partial<SpendPolicyInput>): SpendPolicyInput => ({
  maxPerPurchaseCents: null,
  dailyLimitCents: null,
  monthlyLimitCents: null,
  requireApprovalAboveCents: null,
  vendorAllowlist: null,
  blockedTypes: [],
  onLimitExceeded: "block",
  active: true,
  ...p,
});

async function failureOf(p: Promise<unknown>): Promise<Failure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Failure) return err;
    throw err;
  }
  throw new Error("expected a failure");
}

async function funded(cents: number): Promise<{ owner: TestUser; tokenId: string }> {
  const owner = await h.user();
  if (cents > 0) {
    await h.s.wallet.topup(
      owner.teamId,
      { amountCents: cents, idempotencyKey: `seed-${owner.teamId}`, provider: operator },
      ctx,
    );
  }
  const { id } = await h.pat(owner);
  return { owner, tokenId: id };
}

const idOf = (url: string | undefined) => new URL(url ?? "").pathname.split("/").pop() ?? "";

const ledger = (teamId: string) =>
  h.s.db.db.selectFrom("wallet_ledger").selectAll().where("team_id", "=", teamId).execute();

const actions = async (teamId: string) =>
  (await h.s.audit.listForTeam(h.s.db.db, teamId, { limit: 200 })).events.map((e) => e.action);

describe("top-ups", () => {
  it("concurrent top-ups with one idempotency key write one ledger entry", async () => {
    const owner = await h.user();
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        h.s.wallet.topup(
          owner.teamId,
          { amountCents: 2500, idempotencyKey: "once", provider: operator },
          ctx,
        ),
      ),
    );
    const rows = await ledger(owner.teamId);
    expect(rows).toHaveLength(1);
    expect(new Set(results.map((r) => r.entry.id))).toEqual(new Set([rows[0]?.id]));
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect((await h.s.wallet.wallet(owner.teamId)).balanceCents).toBe(2500);
    expect((await actions(owner.teamId)).filter((a) => a === "wallet.topup")).toHaveLength(1);
  });

  it("refuses the same key with another amount, and amounts out of range", async () => {
    const owner = await h.user();
    await h.s.wallet.topup(owner.teamId, { amountCents: 500, idempotencyKey: "k", provider: operator }, ctx);
    const conflict = await failureOf(
      h.s.wallet.topup(owner.teamId, { amountCents: 600, idempotencyKey: "k", provider: operator }, ctx),
    );
    expect(conflict.code).toBe("IDEMPOTENCY_CONFLICT");
    for (const amountCents of [0, 99, 1_000_001, 12.5, -100]) {
      const bad = await failureOf(
        h.s.wallet.topup(
          owner.teamId,
          { amountCents, idempotencyKey: `a${amountCents}`, provider: operator },
          ctx,
        ),
      );
      expect(bad.code).toBe("BAD_REQUEST");
    }
    expect((await h.s.wallet.wallet(owner.teamId)).balanceCents).toBe(500);
  });
});

describe("charges", () => {
  it("insufficient balance is a 402 with a clear message and writes nothing", async () => {
    const { owner, tokenId } = await funded(500);
    const err = await failureOf(
      h.s.wallet.charge({ teamId: owner.teamId, userId: owner.userId, tokenId, listing: listing(900), ctx }),
    );
    expect(err.code).toBe("PAYMENT_REQUIRED");
    expect(err.message).toMatch(/^Insufficient wallet balance: acme\/linter costs \$9\.00 .* holds \$5\.00/);
    expect(err.details.approvalUrl).toBeUndefined();
    expect(await ledger(owner.teamId)).toHaveLength(1);
    expect(await actions(owner.teamId)).toContain("wallet.purchase_refused");
  });

  it("the balance never goes negative under parallel purchases", async () => {
    const { owner, tokenId } = await funded(1000);
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_v, i) =>
        h.s.wallet.charge({
          teamId: owner.teamId,
          userId: owner.userId,
          tokenId,
          listing: listing(300, { name: `acme/p${i}` }),
          ctx,
        }),
      ),
    );
    expect(settled.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    for (const r of settled) {
      if (r.status === "rejected") expect((r.reason as Failure).code).toBe("PAYMENT_REQUIRED");
    }
    expect((await h.s.wallet.wallet(owner.teamId)).balanceCents).toBe(100);
    expect(await ledger(owner.teamId)).toHaveLength(4);
  });

  it("a retry with the client's idempotency key charges once", async () => {
    const { owner, tokenId } = await funded(1000);
    const req = { teamId: owner.teamId, userId: owner.userId, tokenId, listing: listing(400), ctx };
    const first = await h.s.wallet.charge({ ...req, idempotencyKey: "buy-1" });
    const again = await h.s.wallet.charge({ ...req, idempotencyKey: "buy-1" });
    expect(again).toEqual({ ok: true, ledgerEntryId: first.ledgerEntryId, replayed: true });
    const other = await failureOf(
      h.s.wallet.charge({ ...req, listing: listing(500), idempotencyKey: "buy-1" }),
    );
    expect(other.code).toBe("IDEMPOTENCY_CONFLICT");
    expect((await h.s.wallet.wallet(owner.teamId)).balanceCents).toBe(600);
  });

  it("the caller's write in the charge transaction rolls the charge back when it fails", async () => {
    const { owner, tokenId } = await funded(1000);
    await expect(
      h.s.wallet.charge({
        teamId: owner.teamId,
        userId: owner.userId,
        tokenId,
        listing: listing(400),
        ctx,
        within: async () => {
          throw new Error("entitlement insert failed");
        },
      }),
    ).rejects.toThrow("entitlement insert failed");
    expect((await h.s.wallet.wallet(owner.teamId)).balanceCents).toBe(1000);
  });

  it("a refund gives the amount back once", async () => {
    const { owner, tokenId } = await funded(1000);
    const paid = await h.s.wallet.charge({
      teamId: owner.teamId,
      userId: owner.userId,
      tokenId,
      listing: listing(400),
      ctx,
    });
    await h.s.wallet.refund(owner.teamId, paid.ledgerEntryId, ctx);
    expect((await failureOf(h.s.wallet.refund(owner.teamId, paid.ledgerEntryId, ctx))).code).toBe("CONFLICT");
    expect((await h.s.wallet.wallet(owner.teamId)).balanceCents).toBe(1000);
  });
});

describe("spend policies", () => {
  const member = (u: TestUser) => ({ userId: u.userId, teamId: u.teamId, role: "owner" as const });

  it("refuses a blocked type, a vendor off the allowlist and a price over the maximum (403)", async () => {
    const { owner, tokenId } = await funded(10_000);
    await h.s.wallet.setPolicy(
      member(owner),
      tokenId,
      policy({ blockedTypes: ["mcp"], vendorAllowlist: ["acme"], maxPerPurchaseCents: 1000 }),
      ctx,
    );
    const base = { teamId: owner.teamId, userId: owner.userId, tokenId, ctx };
    const cases: Array<[ChargeListing, RegExp]> = [
      [listing(100, { type: "mcp" }), /may not buy mcp packages/],
      [
        listing(100, { vendor: "evil", name: "evil/x" }),
        /vendor evil is not on this token's vendor allowlist/,
      ],
      [listing(1001), /\$10\.01 is over this token's per-purchase maximum of \$10\.00/],
    ];
    for (const [l, message] of cases) {
      const err = await failureOf(h.s.wallet.charge({ ...base, listing: l }));
      expect(err.code).toBe("FORBIDDEN");
      expect(err.message).toMatch(message);
    }
    await h.s.wallet.charge({ ...base, listing: listing(1000) });
    expect((await h.s.wallet.wallet(owner.teamId)).balanceCents).toBe(9000);
  });

  it("over the approval threshold: 402 with approvalUrl, approve, the retry goes through once", async () => {
    const { owner, tokenId } = await funded(10_000);
    await h.s.wallet.setPolicy(member(owner), tokenId, policy({ requireApprovalAboveCents: 500 }), ctx);
    const req = { teamId: owner.teamId, userId: owner.userId, tokenId, listing: listing(800), ctx };

    const first = await failureOf(h.s.wallet.charge(req));
    expect(first.code).toBe("PAYMENT_REQUIRED");
    expect(first.message).toMatch(/over this token's approval threshold of \$5\.00/);
    const url = first.details.approvalUrl ?? "";
    expect(url).toMatch(new RegExp(`^${BASE}${APPROVAL_PAGE_PATH}/[0-9a-f-]{36}\\?team=${owner.teamId}$`));
    const approvalId = idOf(url);
    // Asking again before anyone decided names the same request.
    expect((await failureOf(h.s.wallet.charge(req))).details.approvalUrl).toBe(url);
    expect(await h.s.wallet.listApprovals(owner.teamId, "pending")).toHaveLength(1);

    await h.s.wallet.decide(member(owner), approvalId, "approve", ctx);
    const paid = await h.s.wallet.charge(req);
    expect(paid.replayed).toBe(false);
    expect((await h.s.wallet.approval(owner.teamId, approvalId)).status).toBe("consumed");
    const rows = await ledger(owner.teamId);
    expect(rows.find((r) => r.id === paid.ledgerEntryId)?.approval_id).toBe(approvalId);

    // The approval was good for one purchase: buying again asks again (a new request).
    const second = await failureOf(h.s.wallet.charge(req));
    expect(second.code).toBe("PAYMENT_REQUIRED");
    expect(second.details.approvalUrl).not.toBe(url);
    expect((await h.s.wallet.wallet(owner.teamId)).balanceCents).toBe(9200);
    expect((await failureOf(h.s.wallet.decide(member(owner), approvalId, "deny", ctx))).code).toBe(
      "CONFLICT",
    );
    const log = await actions(owner.teamId);
    for (const a of [
      "wallet.approval_requested",
      "wallet.approval_approved",
      "wallet.purchase",
      "wallet.topup",
    ]) {
      expect(log).toContain(a);
    }
  });

  it("parallel retries after one approval charge exactly once", async () => {
    const { owner, tokenId } = await funded(10_000);
    await h.s.wallet.setPolicy(member(owner), tokenId, policy({ requireApprovalAboveCents: 0 }), ctx);
    const req = { teamId: owner.teamId, userId: owner.userId, tokenId, listing: listing(700), ctx };
    const url = (await failureOf(h.s.wallet.charge(req))).details.approvalUrl ?? "";
    await h.s.wallet.decide(member(owner), idOf(url), "approve", ctx);
    const settled = await Promise.allSettled(Array.from({ length: 6 }, () => h.s.wallet.charge(req)));
    expect(settled.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((await h.s.wallet.wallet(owner.teamId)).balanceCents).toBe(9300);
  });

  it("a denied request stays refused; a daily limit blocks or asks for approval as the policy says", async () => {
    const { owner, tokenId } = await funded(10_000);
    const req = { teamId: owner.teamId, userId: owner.userId, tokenId, ctx };
    await h.s.wallet.setPolicy(member(owner), tokenId, policy({ dailyLimitCents: 1000 }), ctx);
    await h.s.wallet.charge({ ...req, listing: listing(600) });
    const blocked = await failureOf(h.s.wallet.charge({ ...req, listing: listing(600, { name: "acme/b" }) }));
    expect(blocked.code).toBe("FORBIDDEN");
    expect(blocked.message).toMatch(/over its daily limit of \$10\.00 \(\$6\.00 spent\)/);

    await h.s.wallet.setPolicy(
      member(owner),
      tokenId,
      policy({ dailyLimitCents: 1000, onLimitExceeded: "approval" }),
      ctx,
    );
    const asked = await failureOf(h.s.wallet.charge({ ...req, listing: listing(600, { name: "acme/b" }) }));
    expect(asked.code).toBe("PAYMENT_REQUIRED");
    const id = idOf(asked.details.approvalUrl);
    expect((await h.s.wallet.approval(owner.teamId, id)).reason).toBe("daily_limit");
    await h.s.wallet.decide(member(owner), id, "deny", ctx);
    const still = await failureOf(h.s.wallet.charge({ ...req, listing: listing(600, { name: "acme/b" }) }));
    expect(still.code).toBe("PAYMENT_REQUIRED");
    expect(still.details.approvalUrl).not.toContain(id);
    expect(await actions(owner.teamId)).toContain("wallet.approval_denied");

    // An inactive policy limits nothing.
    await h.s.wallet.setPolicy(member(owner), tokenId, policy({ dailyLimitCents: 1000, active: false }), ctx);
    await h.s.wallet.charge({ ...req, listing: listing(600, { name: "acme/c" }) });
    expect((await h.s.wallet.wallet(owner.teamId)).balanceCents).toBe(8800);
  });

  it("a request expires after a week: it can no longer be approved, and an expired approval buys nothing", async () => {
    const clock = new FakeClock();
    const t = await createHarness({ clock });
    try {
      const owner = await t.user();
      await t.s.wallet.topup(
        owner.teamId,
        { amountCents: 5000, idempotencyKey: "f", provider: operator },
        ctx,
      );
      const { id: tokenId } = await t.pat(owner);
      await t.s.wallet.setPolicy(member(owner), tokenId, policy({ requireApprovalAboveCents: 0 }), ctx);
      const req = { teamId: owner.teamId, userId: owner.userId, tokenId, listing: listing(100), ctx };
      const stale = idOf((await failureOf(t.s.wallet.charge(req))).details.approvalUrl);
      clock.advance(APPROVAL_TTL_MS);
      expect((await t.s.wallet.listApprovals(owner.teamId, "expired")).map((a) => a.id)).toEqual([stale]);
      const late = await failureOf(t.s.wallet.decide(member(owner), stale, "approve", ctx));
      expect(late.code).toBe("CONFLICT");
      expect(late.message).toBe("This approval request is already expired");

      const fresh = idOf((await failureOf(t.s.wallet.charge(req))).details.approvalUrl);
      expect(fresh).not.toBe(stale);
      await t.s.wallet.decide(member(owner), fresh, "approve", ctx);
      clock.advance(APPROVAL_TTL_MS);
      const again = await failureOf(t.s.wallet.charge(req));
      expect(again.code).toBe("PAYMENT_REQUIRED");
      expect((await t.s.wallet.wallet(owner.teamId)).balanceCents).toBe(5000);
    } finally {
      await t.close();
    }
  });

  it("a policy can only be set on a token of the caller's team", async () => {
    const a = await funded(0);
    const b = await funded(0);
    const err = await failureOf(h.s.wallet.setPolicy(member(a.owner), b.tokenId, policy({}), ctx));
    expect(err.code).toBe("NOT_FOUND");
  });
});
