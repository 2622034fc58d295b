// Every public wallet route refuses before doing anything: no token, a malformed, expired or revoked one, or a
// browser session instead of a token (401), and a token without the route's scope (403); a viewer can't top up.
import {
  missingScopeMessage,
  REGISTRY_BASE,
  type RouteSpec,
  type Scope,
  WALLET_ROUTES,
} from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, FakeClock, type Harness, type TestUser } from "../../test-support/harness.js";

const ROUTES = Object.entries(WALLET_ROUTES) as Array<[string, RouteSpec]>;
const SCOPES: Scope[] = ["read", "write", "download", "purchase", "sell"];

let h: Harness;
let u: TestUser;
let cookie: string;
const clock = new FakeClock();

beforeAll(async () => {
  h = await createHarness({ clock });
  u = await h.user();
  cookie = await h.signIn(u);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

function send(spec: RouteSpec, o: { token?: string; cookie?: string; headers?: Record<string, string> }) {
  return h.json<{ ok: boolean; error: { code: string; message: string } }>(
    spec.method.toUpperCase(),
    REGISTRY_BASE + spec.path,
    {
      ...o,
      headers: { "idempotency-key": "k", ...o.headers },
      ...(spec.body ? { body: { amountCents: 1000 } } : {}),
    },
  );
}

describe.each(ROUTES)("wallet route %s", (_name, spec) => {
  it("401 without a valid token (missing, malformed, expired, revoked, a session cookie)", async () => {
    const expired = await h.pat(u, { scopes: SCOPES as never, expiresInDays: 1 });
    const revoked = await h.pat(u, { scopes: SCOPES as never });
    await h.s.tokens.revoke(u.userId, revoked.id, { actorType: "user", actorId: u.userId });
    clock.advance(2 * 86_400_000);
    for (const o of [
      {},
      { headers: { authorization: "Basic abc" } },
      { token: "mog_not_a_real_token" },
      { token: expired.token },
      { token: revoked.token },
      { cookie },
    ]) {
      const r = await send(spec, o);
      expect(r.status, JSON.stringify(o)).toBe(401);
      expect(r.body.error.code).toBe("UNAUTHORIZED");
    }
  });

  it("403 with every scope but the route's own", async () => {
    const token = (await h.pat(u, { scopes: SCOPES.filter((s) => s !== spec.scope) as never })).token;
    const r = await send(spec, { token });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toBe(missingScopeMessage(spec.scope as string));
  });
});

describe("top-up roles", () => {
  it("only an owner tops up: admin, member and viewer get 403 and nothing is written", async () => {
    for (const role of ["admin", "member", "viewer"] as const) {
      const m = await h.user({ team: u.team, role });
      const token = (await h.pat(m, { scopes: ["read", "purchase"] as never })).token;
      const r = await send(WALLET_ROUTES.createTopup, { token });
      expect(r.status, role).toBe(403);
      expect(r.body.error.message).toBe("Only a team owner can top up the wallet");
    }
    expect((await h.s.wallet.wallet(u.teamId)).entries).toEqual([]);
  });
});
