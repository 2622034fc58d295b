// Test fixtures of the wallet: a funded team, a token whose policy asks for approval, a pending approval, and
// the Origin-check fixtures of the wallet's session mutations (test-support/session-mutations.ts spreads them).
import type { AuditContext } from "../../../audit/store.js";
import { Failure } from "../../../failure.js";
import type { Harness, TestUser } from "../../../test-support/harness.js";
import { OperatorPaymentProvider } from "../operator-provider.js";

const ctx: AuditContext = { actorType: "system", actorId: null, authSource: "admin-cli" };
let n = 0;

export async function fund(h: Harness, teamId: string, amountCents: number): Promise<void> {
  await h.s.wallet.topup(
    teamId,
    { amountCents, idempotencyKey: `fund-${teamId}-${n++}`, provider: new OperatorPaymentProvider() },
    ctx,
  );
}

/** A pending approval of `owner`'s new token (policy: approval above 0 cents) for a 500-cent purchase. */
export async function pendingApproval(h: Harness, owner: TestUser): Promise<string> {
  const token = await h.pat(owner);
  await h.s.wallet.setPolicy(
    { userId: owner.userId, teamId: owner.teamId, role: "owner" },
    token.id,
    {
      maxPerPurchaseCents: null,
      dailyLimitCents: null,
      monthlyLimitCents: null,
      requireApprovalAboveCents: 0,
      vendorAllowlist: null,
      blockedTypes: [],
      onLimitExceeded: "block",
      active: true,
    },
    ctx,
  );
  try {
    await h.s.wallet.charge({
      teamId: owner.teamId,
      userId: owner.userId,
      tokenId: token.id,
      listing: { name: `acme/p${n++}`, vendor: "acme", type: "skill", priceCents: 500 },
      ctx,
    });
  } catch (err) {
    if (err instanceof Failure && err.details.approvalUrl) {
      return new URL(err.details.approvalUrl).pathname.split("/").pop() ?? "";
    }
    throw err;
  }
  throw new Error("expected the purchase to need an approval");
}

interface Fixture {
  ok: number;
  prepare(): Promise<{ path: string; body?: unknown; cookie?: string }>;
}

/** One request per wallet session mutation that succeeds when its Origin is acceptable. */
export function walletMutationFixtures(h: Harness, owner: TestUser, ownerCookie: string) {
  const team = `/api/teams/${owner.teamId}`;
  return {
    setSpendPolicy: {
      ok: 200,
      prepare: async () => ({
        path: `${team}/spend-policies/${(await h.pat(owner)).id}`,
        body: { maxPerPurchaseCents: 1000 },
        cookie: ownerCookie,
      }),
    },
    approveSpend: {
      ok: 200,
      prepare: async () => ({
        path: `${team}/approvals/${await pendingApproval(h, owner)}/approve`,
        cookie: ownerCookie,
      }),
    },
    denySpend: {
      ok: 200,
      prepare: async () => ({
        path: `${team}/approvals/${await pendingApproval(h, owner)}/deny`,
        cookie: ownerCookie,
      }),
    },
  } satisfies Record<string, Fixture>;
}
