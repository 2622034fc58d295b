// An OAuth grant's life against the real app (both databases): it is a gateway key in all but name — revocation
// crosses replicas at once, its IP allowlist and rate limit apply, a demotion or removal stops it, Connected apps
// revokes it; unused registered clients are purged; registration is limited per address.
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLogger } from "../logger.js";
import type { Services } from "../services.js";
import { createHarness, FakeClock, type Harness, type TestUser } from "../test-support/harness.js";
import { wire } from "../wiring.js";
import { purgeUnusedClients } from "./clients.js";
import { UNUSED_CLIENT_TTL_MS } from "./provider.js";
import { withOAuth } from "./tables.js";
import { GATEWAY_RESOURCE, REDIRECT, registerClient } from "./test-support/fixtures.js";
import { INIT, type OAuthStack, SYS, startOAuthStack } from "./test-support/stack.js";

const clock = new FakeClock();
let st: OAuthStack;
let h: Harness;
let owner: TestUser;
let ownerCookie: string;

beforeAll(async () => {
  st = await startOAuthStack(clock);
  ({ h, owner, ownerCookie } = st);
});
// No token, code or verifier in any log line or audit payload of the whole file.
afterAll(() => st?.close());

const connect = (...a: Parameters<OAuthStack["connect"]>) => st.connect(...a);
const mcp = (...a: Parameters<OAuthStack["mcp"]>) => st.mcp(...a);
const initStatus = (...a: Parameters<OAuthStack["initStatus"]>) => st.initStatus(...a);
const token = (...a: Parameters<OAuthStack["token"]>) => st.token(...a);

describe("an OAuth grant's life", () => {
  it("revoking on one replica refuses the token on another at once (Redis broadcast), not after the cache ages", async () => {
    const schema =
      h.dialect === "postgres"
        ? (await sql<{ s: string }>`select current_schema() as s`.execute(h.s.db.db)).rows[0]?.s
        : undefined;
    const other: Services = await wire({
      config: h.s.config,
      clock,
      logger: createLogger("silent"),
      pgSchema: schema,
      migrate: false,
    });
    try {
      const t = await connect();
      const resource = GATEWAY_RESOURCE;
      expect(await other.gateway.oauth.authenticate(t.access_token, resource)).not.toBeNull(); // cached there
      expect(h.s.config.gateway.keyCacheTtlMs).toBeGreaterThan(10_000);
      const [grant] = (await h.s.gateway.oauth.list(owner.userId, owner.teamId)).filter(
        (g) => g.clientId === t.clientId,
      );
      await h.s.gateway.oauth.revoke(owner.userId, grant?.id ?? "", SYS);
      await vi.waitFor(
        async () => expect(await other.gateway.oauth.authenticate(t.access_token, resource)).toBeNull(),
        { timeout: 5_000 },
      );
    } finally {
      await other.close();
    }
  });

  it("the grant's IP allowlist and rate limit apply like a gateway key's", async () => {
    const fenced = await connect(GATEWAY_RESOURCE, ownerCookie, { ipAllowlist: ["10.0.0.0/8"] });
    expect(await initStatus(fenced.access_token)).toBe(403);
    const slow = await connect(GATEWAY_RESOURCE, ownerCookie, { rateLimitRps: 1 });
    expect(await initStatus(slow.access_token)).toBe(200);
    const again = await mcp(slow.access_token, INIT);
    await again.text();
    expect(again.status).toBe(429);
  });

  it("a member made viewer is refused at once; removed from the team, their grants are revoked", async () => {
    const member = await h.user({ team: "acme", role: "member" });
    const t = await connect(GATEWAY_RESOURCE, await h.signIn(member));
    expect(await initStatus(t.access_token)).toBe(200);
    const actor = { userId: owner.userId, teamId: owner.teamId, role: "owner" as const };
    await h.s.teams.changeRole(actor, member.userId, "viewer", SYS);
    expect(await initStatus(t.access_token)).toBe(401);
    await h.s.teams.changeRole(actor, member.userId, "member", SYS);
    expect(await initStatus(t.access_token)).toBe(200);
    await h.s.teams.removeMember(actor, member.userId, SYS);
    expect(await initStatus(t.access_token)).toBe(401);
    const live = await withOAuth(h.s.db.db)
      .selectFrom("oauth_grants")
      .select("id")
      .where("user_id", "=", member.userId)
      .where("revoked_at", "is", null)
      .execute();
    expect(live).toEqual([]);
  });

  it("registered clients that never obtained a token are deleted after a day; used ones stay", async () => {
    const unused = await registerClient(h);
    const used = (await connect()).clientId;
    const db = withOAuth(h.s.db.db);
    await purgeUnusedClients(h.s.db.db, Date.now() - UNUSED_CLIENT_TTL_MS);
    expect(
      await db.selectFrom("oauthClient").select("clientId").where("clientId", "=", unused).execute(),
    ).toHaveLength(1);
    await purgeUnusedClients(h.s.db.db, Date.now() + 1000);
    const left = (await db.selectFrom("oauthClient").select("clientId").execute()).map((r) => r.clientId);
    expect(left).not.toContain(unused);
    expect(left).toContain(used);
  });

  it("revoking in Connected apps refuses the next request, ends sessions, and is audited", async () => {
    const t = await connect();
    expect(await initStatus(t.access_token)).toBe(200);
    const list = await h.json<{ grants: { id: string; clientId: string }[] }>(
      "GET",
      "/api/settings/connected-apps",
      { cookie: ownerCookie },
    );
    const grant = list.body.grants.find((g) => g.clientId === t.clientId);
    expect(grant).toBeDefined();
    const del = await h.request("DELETE", `/api/settings/connected-apps/${grant?.id}`, {
      cookie: ownerCookie,
    });
    expect(del.status).toBe(200);
    expect(await initStatus(t.access_token)).toBe(401);
    const refresh = await token({
      grant_type: "refresh_token",
      client_id: t.clientId,
      refresh_token: t.refresh_token,
      resource: GATEWAY_RESOURCE,
    });
    expect(refresh.status).toBe(400);
    const audit = JSON.stringify(await h.s.db.db.selectFrom("audit_events").selectAll().execute());
    expect(audit).toContain("oauth_grant.revoked");
  });
}, 120_000);

describe("OAuth dynamic client registration is limited per address", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ env: { MOGPLEX_TOKEN_CREATE_RATE_LIMIT: "2/60s" } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("answers 429 with Retry-After past the token-creation tier, and registers nothing more", async () => {
    await registerClient(h);
    await registerClient(h);
    const r = await h.request("POST", "/api/auth/oauth2/register", {
      origin: null,
      body: { client_name: "third", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" },
    });
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toMatch(/^\d+$/);
    const clients = await withOAuth(h.s.db.db).selectFrom("oauthClient").select("clientId").execute();
    expect(clients).toHaveLength(2);
  });
});
