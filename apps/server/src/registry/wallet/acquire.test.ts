// Buying a priced listing end to end through the app (both databases): POST /api/v1/registry/entitlements
// charges the team's wallet under the token's spend policy; over the approval threshold it is a 402 with an
// approvalUrl, an owner approves in the web app, and the token's retry is charged once.
import { APPROVAL_PAGE_PATH, ErrorBody, REGISTRY_BASE } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE, createHarness, type Harness, type TestUser } from "../../test-support/harness.js";
import { makePackage, upload } from "../test-support/packages.js";
import { fund } from "./test-support/fixtures.js";

const R = REGISTRY_BASE;
const BUY = ["read", "download", "purchase"] as const;
type Json = Record<string, unknown>;

let h: Harness;
let sell: string;

beforeAll(async () => {
  h = await createHarness({ env: { MOGPLEX_RUN_START_LIMITS: "1000/1m" } });
  const vendor = await h.user();
  sell = (await h.pat(vendor, { scopes: ["read", "sell"] as never })).token;
  expect(
    (await h.json("POST", `${R}/vendors`, { token: sell, body: { slug: "shop", name: "Shop" } })).status,
  ).toBe(201);
  for (const [name, price] of [
    ["shop/tool", 1500],
    ["shop/cheap", 300],
  ] as const) {
    const up = await upload(h, sell, await makePackage({ name }), `?priceCents=${price}`);
    expect(up.status, up.text).toBe(202);
  }
  await h.s.registry.scans.runOnce();
  await h.s.registry.scans.runOnce();
}, 120_000);
afterAll(async () => {
  await h?.close();
});

async function buyer(funds: number) {
  const owner = await h.user();
  if (funds > 0) await fund(h, owner.teamId, funds);
  const pat = await h.pat(owner, { scopes: [...BUY] as never });
  return { owner, pat, cookie: await h.signIn(owner) };
}

const acquire = (token: string, name = "shop/tool") =>
  h.json<Json>("POST", `${R}/entitlements`, { token, body: { name } });
const balance = async (u: TestUser) => (await h.s.wallet.wallet(u.teamId)).balanceCents;

describe("buying a priced listing", () => {
  it("charges the team's wallet once; a second acquire returns the entitlement without charging", async () => {
    const { owner, pat } = await buyer(5000);
    const first = await acquire(pat.token);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const ent = first.body.data as Json;
    const again = await acquire(pat.token);
    expect(again.status).toBe(200);
    expect((again.body.data as Json).entitlementId).toBe(ent.entitlementId);
    expect(await balance(owner)).toBe(3500);
    const row = await h.s.db.db
      .selectFrom("registry_entitlements")
      .select("ledger_entry_id")
      .where("id", "=", ent.entitlementId as string)
      .executeTakeFirstOrThrow();
    const entry = await h.s.db.db
      .selectFrom("wallet_ledger")
      .selectAll()
      .where("id", "=", row.ledger_entry_id as string)
      .executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ kind: "purchase", reference: "shop/tool", token_id: pat.id });
    expect(Number(entry.amount_cents)).toBe(-1500);
  });

  it("insufficient balance is a 402 that says so; nothing is granted", async () => {
    const { pat } = await buyer(1000);
    const r = await acquire(pat.token);
    expect(r.status).toBe(402);
    const err = ErrorBody.parse(r.body).error;
    expect(err.code).toBe("PAYMENT_REQUIRED");
    expect(err.message).toMatch(/^Insufficient wallet balance: shop\/tool costs \$15\.00 .* holds \$10\.00/);
    expect(err.details).toBeUndefined();
    const list = await h.json<Json>("GET", `${R}/entitlements`, { token: pat.token });
    expect((list.body.data as Json).entitlements).toEqual([]);
  });

  it("parallel acquires of one listing by one token charge once", async () => {
    const { owner, pat } = await buyer(2000);
    const all = await Promise.all(Array.from({ length: 6 }, () => acquire(pat.token)));
    expect(all.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(all.map((r) => (r.body.data as Json).entitlementId)).size).toBe(1);
    expect(await balance(owner)).toBe(500);
  });

  it("parallel acquires with one Idempotency-Key answer with the one entitlement they paid for once", async () => {
    const { owner, pat } = await buyer(2000);
    const all = await Promise.all(
      Array.from({ length: 6 }, () =>
        h.json<Json>("POST", `${R}/entitlements`, {
          token: pat.token,
          body: { name: "shop/tool" },
          headers: { "idempotency-key": "buy-tool" },
        }),
      ),
    );
    expect(all.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    const ids = new Set(all.map((r) => (r.body.data as Json).entitlementId));
    expect(ids.size).toBe(1);
    const stored = await h.s.db.db
      .selectFrom("registry_entitlements")
      .select("id")
      .where("user_id", "=", owner.userId)
      .execute();
    expect(stored.map((e) => e.id)).toEqual([...ids]);
    expect(await balance(owner)).toBe(500);
  });

  it("over the approval threshold: 402 approvalUrl → owner approves in the web app → retry charged once", async () => {
    const { owner, pat, cookie } = await buyer(5000);
    const team = `/api/teams/${owner.teamId}`;
    const set = await h.json("POST", `${team}/spend-policies/${pat.id}`, {
      cookie,
      body: { requireApprovalAboveCents: 1000, blockedTypes: ["mcp"] },
    });
    expect(set.status).toBe(200);

    const held = await acquire(pat.token);
    expect(held.status).toBe(402);
    const err = ErrorBody.parse(held.body).error;
    expect(err.message).toMatch(
      /Approval required: \$15\.00 is over this token's approval threshold of \$10\.00/,
    );
    const url = new URL(err.details?.approvalUrl ?? "");
    expect(`${url.origin}${url.pathname}`).toMatch(
      new RegExp(`^${BASE}${APPROVAL_PAGE_PATH}/[0-9a-f-]{36}$`),
    );
    expect(url.searchParams.get("team")).toBe(owner.teamId);
    const id = url.pathname.split("/").pop() as string;
    // Under the threshold needs nobody.
    expect((await acquire(pat.token, "shop/cheap")).status).toBe(201);

    const approved = await h.json<Json>("POST", `${team}/approvals/${id}/approve`, { cookie });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const paid = await acquire(pat.token);
    expect(paid.status).toBe(201);
    expect((await acquire(pat.token)).status).toBe(200);
    expect(await balance(owner)).toBe(5000 - 300 - 1500);
    const approval = await h.json<{ approval: { status: string } }>("GET", `${team}/approvals/${id}`, {
      cookie,
    });
    expect(approval.body.approval.status).toBe("consumed");
    const actions = (await h.s.audit.listForTeam(h.s.db.db, owner.teamId, { limit: 100 })).events.map(
      (e) => e.action,
    );
    for (const a of [
      "wallet.topup",
      "wallet.policy_set",
      "wallet.approval_requested",
      "wallet.approval_approved",
      "wallet.purchase",
    ]) {
      expect(actions).toContain(a);
    }
  });

  it("a vendor off the token's allowlist is a 403 naming the rule", async () => {
    const { pat, cookie, owner } = await buyer(5000);
    await h.json("POST", `/api/teams/${owner.teamId}/spend-policies/${pat.id}`, {
      cookie,
      body: { vendorAllowlist: ["someone-else"] },
    });
    const r = await acquire(pat.token);
    expect(r.status).toBe(403);
    expect(ErrorBody.parse(r.body).error.message).toBe(
      "Spend policy: vendor shop is not on this token's vendor allowlist",
    );
    expect(await balance(owner)).toBe(5000);
  });
});
