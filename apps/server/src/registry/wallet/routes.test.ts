// The wallet over HTTP on the real app: public routes under /api/v1/registry (PAT) and the web app's session
// routes; concurrent top-ups with one Idempotency-Key fired in parallel; a 402 approvalUrl approved in a session.
import { APPROVAL_PAGE_PATH, ErrorBody } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Failure } from "../../failure.js";
import { BASE, createHarness, type Harness, type TestUser, uniq } from "../../test-support/harness.js";
import { NO_PROVIDER } from "./routes.js";
import { fund } from "./test-support/fixtures.js";
import type { PaymentProvider } from "./types.js";

/** Stand-in for a card processor (the outside world): idempotent by key, counts money it moved. */
class FakeProcessor implements PaymentProvider {
  readonly name = "fake-card";
  readonly moved = new Map<string, number>();
  calls = 0;
  async topup(input: { teamId: string; amountCents: number; idempotencyKey: string }) {
    this.calls++;
    const k = `${input.teamId}/${input.idempotencyKey}`;
    if (!this.moved.has(k)) this.moved.set(k, input.amountCents);
    return { providerRef: `ch_${k}` };
  }
}

let h: Harness;
const W = "/api/v1/registry/wallet";

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

async function ownerWithToken(scopes: Array<"read" | "write" | "purchase">, role?: "admin") {
  const owner = await h.user();
  const u: TestUser = role ? await h.user({ team: owner.team, role }) : owner;
  const pat = await h.pat(u, { scopes: scopes as never });
  return { owner, u, pat };
}

describe("public wallet routes", () => {
  it("refuses top-ups when the server has no payment provider", async () => {
    h.s.wallet.provider = null;
    const { pat } = await ownerWithToken(["read", "purchase"]);
    const r = await h.json("POST", `${W}/topups`, {
      token: pat.token,
      body: { amountCents: 1000 },
      headers: { "idempotency-key": "k" },
    });
    expect(r.status).toBe(403);
    expect(ErrorBody.parse(r.body).error.message).toBe(NO_PROVIDER);
  });

  it("concurrent top-ups with one Idempotency-Key: one ledger entry, money moved once", async () => {
    const processor = new FakeProcessor();
    h.s.wallet.provider = processor;
    const { owner, pat } = await ownerWithToken(["read", "purchase"]);
    const send = () =>
      h.json<{ ok: true; data: { entry: { id: string }; replayed: boolean; balanceCents: number } }>(
        "POST",
        `${W}/topups`,
        { token: pat.token, body: { amountCents: 2000 }, headers: { "idempotency-key": "same-key" } },
      );
    const results = await Promise.all(Array.from({ length: 10 }, send));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.data.entry.id)).size).toBe(1);
    expect([...processor.moved.values()]).toEqual([2000]);
    const wallet = await h.json<{ data: { wallet: { balanceCents: number; entries: unknown[] } } }>(
      "GET",
      W,
      { token: pat.token },
    );
    expect(wallet.body.data.wallet.balanceCents).toBe(2000);
    expect(wallet.body.data.wallet.entries).toHaveLength(1);
    const rows = await h.s.db.db
      .selectFrom("wallet_ledger")
      .selectAll()
      .where("team_id", "=", owner.teamId)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it("validates top-ups: owner only, purchase scope, Idempotency-Key, amount range", async () => {
    h.s.wallet.provider = new FakeProcessor();
    const ok = await ownerWithToken(["read", "purchase"]);
    const admin = await ownerWithToken(["read", "purchase"], "admin");
    const readOnly = await ownerWithToken(["read"]);
    const post = (token: string, body: unknown, key: string | null = uniq("k")) =>
      h.json("POST", `${W}/topups`, { token, body, headers: key ? { "idempotency-key": key } : {} });
    const cases: Array<[Awaited<ReturnType<typeof post>>, number, RegExp]> = [
      [await post(admin.pat.token, { amountCents: 1000 }), 403, /Only a team owner can top up/],
      [await post(readOnly.pat.token, { amountCents: 1000 }), 403, /Missing required scope: purchase/],
      [await post(ok.pat.token, { amountCents: 1000 }, null), 400, /Idempotency-Key is required/],
      [await post(ok.pat.token, { amountCents: 99 }), 400, /amountCents must be at least 100/],
      [await post(ok.pat.token, { amountCents: 1_000_001 }), 400, /amountCents must be at most 1000000/],
      [await post(ok.pat.token, { amountCents: 10.5 }), 400, /integer number of cents/],
      [await post(ok.pat.token, { amountCents: 1000, extra: 1 }), 400, /extra/],
    ];
    for (const [r, status, message] of cases) {
      expect(r.status).toBe(status);
      expect(ErrorBody.parse(r.body).error.message).toMatch(message);
    }
    await post(ok.pat.token, { amountCents: 1000 }, "reused");
    const conflict = await post(ok.pat.token, { amountCents: 1500 }, "reused");
    expect(conflict.status).toBe(409);
    expect(ErrorBody.parse(conflict.body).error.code).toBe("IDEMPOTENCY_CONFLICT");
  });

  it("top-ups are on the strict per-user tier: past it, 429 with Retry-After and nothing added", async () => {
    const strict = await createHarness({ env: { MOGPLEX_TOKEN_CREATE_RATE_LIMIT: "2/60s" } });
    try {
      strict.s.wallet.provider = new FakeProcessor();
      const owner = await strict.user();
      const pat = await strict.pat(owner, { scopes: ["read", "purchase"] as never });
      const post = (key: string) =>
        strict.json("POST", `${W}/topups`, {
          token: pat.token,
          body: { amountCents: 1000 },
          headers: { "idempotency-key": key },
        });
      expect((await post("a")).status).toBe(201);
      expect((await post("b")).status).toBe(201);
      const third = await post("c");
      expect(third.status).toBe(429);
      expect(Number(third.res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await strict.s.wallet.wallet(owner.teamId)).balanceCents).toBe(2000);
    } finally {
      await strict.close();
    }
  });

  it("a token reads its own spend policy, and no token can change one", async () => {
    const { owner, pat } = await ownerWithToken(["read", "write", "purchase"]);
    const none = await h.json<{ data: { policy: unknown } }>("GET", `${W}/policy`, { token: pat.token });
    expect(none.body.data.policy).toBeNull();
    const cookie = await h.signIn(owner);
    const set = await h.json("POST", `/api/teams/${owner.teamId}/spend-policies/${pat.id}`, {
      cookie,
      body: { dailyLimitCents: 5000, blockedTypes: ["mcp"] },
    });
    expect(set.status).toBe(200);
    const mine = await h.json<{ data: { policy: { dailyLimitCents: number; blockedTypes: string[] } } }>(
      "GET",
      `${W}/policy`,
      { token: pat.token },
    );
    expect(mine.body.data.policy).toMatchObject({ dailyLimitCents: 5000, blockedTypes: ["mcp"] });
    // A PAT is refused on the session route that sets policies.
    const byToken = await h.json("POST", `/api/teams/${owner.teamId}/spend-policies/${pat.id}`, {
      token: pat.token,
      body: { dailyLimitCents: null },
    });
    expect(byToken.status).toBe(403);
    const bad = await h.json("POST", `/api/teams/${owner.teamId}/spend-policies/${pat.id}`, {
      cookie,
      body: { dailyLimitCents: -1, blockedTypes: ["virus"] },
    });
    expect(bad.status).toBe(400);
  });
});

describe("the OpenAPI document", () => {
  it("lists the wallet's public routes under the registry base; top-ups need Idempotency-Key and purchase", async () => {
    const doc = await h.json<{ paths: Record<string, Record<string, Record<string, unknown>>> }>(
      "GET",
      "/api/v1/openapi.json",
    );
    const topup = doc.body.paths[`${W}/topups`]?.post;
    expect(topup?.["x-required-scope"]).toBe("purchase");
    expect(topup?.parameters).toContainEqual(
      expect.objectContaining({ name: "Idempotency-Key", in: "header", required: true }),
    );
    expect(doc.body.paths[W]?.get?.operationId).toBe("getWallet");
    expect(doc.body.paths[`${W}/policy`]?.get?.operationId).toBe("getSpendPolicy");
    expect(doc.body.paths["/api/teams/{teamId}/approvals/{id}/approve"]?.post?.["x-mogplex-min-role"]).toBe(
      "owner",
    );
  });
});

describe("approvals through the web app", () => {
  it("402 approvalUrl → the owner approves in a session → the token's retry goes through once", async () => {
    const owner = await h.user();
    const member = await h.user({ team: owner.team, role: "member" });
    const pat = await h.pat(member);
    await fund(h, owner.teamId, 5000);
    const ownerCookie = await h.signIn(owner);
    const memberCookie = await h.signIn(member);
    const team = `/api/teams/${owner.teamId}`;
    expect(
      (
        await h.json("POST", `${team}/spend-policies/${pat.id}`, {
          cookie: ownerCookie,
          body: { requireApprovalAboveCents: 1000 },
        })
      ).status,
    ).toBe(200);
    const buy = () =>
      h.s.wallet.charge({
        teamId: owner.teamId,
        userId: member.userId,
        tokenId: pat.id,
        listing: { name: "acme/big", vendor: "acme", type: "bundle", priceCents: 1500 },
        idempotencyKey: `acquire:big:${member.userId}`,
        ctx: { actorType: "user", actorId: member.userId, authSource: "pat" },
      });
    const refused = await buy().catch((e: Failure) => e);
    expect(refused).toBeInstanceOf(Failure);
    const url = (refused as Failure).details.approvalUrl ?? "";
    const id = new URL(url).pathname.split("/").pop() ?? "";
    expect(url).toBe(`${BASE}${APPROVAL_PAGE_PATH}/${id}?team=${owner.teamId}`);

    const page = await h.json<{ approval: { status: string; amountCents: number } }>(
      "GET",
      `${team}/approvals/${id}`,
      { cookie: memberCookie },
    );
    expect(page.body.approval).toMatchObject({ status: "pending", amountCents: 1500 });
    // Only an owner decides.
    expect((await h.json("POST", `${team}/approvals/${id}/approve`, { cookie: memberCookie })).status).toBe(
      403,
    );
    const approved = await h.json<{ approval: { status: string } }>(
      "POST",
      `${team}/approvals/${id}/approve`,
      {
        cookie: ownerCookie,
      },
    );
    expect(approved.body.approval.status).toBe("approved");

    const paid = await buy();
    expect(paid.replayed).toBe(false);
    expect(await buy()).toEqual({ ok: true, ledgerEntryId: paid.ledgerEntryId, replayed: true });
    const wallet = await h.json<{ balanceCents: number }>("GET", `${team}/wallet`, { cookie: memberCookie });
    expect(wallet.body.balanceCents).toBe(3500);
    const list = await h.json<{ approvals: Array<{ id: string; status: string }> }>(
      "GET",
      `${team}/approvals?status=consumed`,
      { cookie: ownerCookie },
    );
    expect(list.body.approvals.map((a) => a.id)).toEqual([id]);
    expect((await h.json("POST", `${team}/approvals/${id}/deny`, { cookie: ownerCookie })).status).toBe(409);
  });
});
