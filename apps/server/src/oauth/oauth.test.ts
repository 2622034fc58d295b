// OAuth 2.1 for MCP clients against the real app (both databases): discovery, registration, consent, PKCE code
// exchange, audience-bound tokens at /mcp and the platform MCP, and the refusals (PKCE, reused code, unregistered
// redirect, another resource, expiry, refresh reuse revoking the family, a viewer's consent). Tokens stored hashed;
// none logged. The grant's lifecycle (revocation, limits, roles) is in grants.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE, FakeClock, type Harness, type TestUser } from "../test-support/harness.js";
import { ACCESS_TOKEN_TTL_S } from "./provider.js";
import { withOAuth } from "./tables.js";
import {
  authorize,
  consentQuery,
  GATEWAY_RESOURCE,
  pkcePair,
  REDIRECT,
  registerClient,
} from "./test-support/fixtures.js";
import { INIT, type OAuthStack, PLATFORM_RESOURCE, startOAuthStack } from "./test-support/stack.js";

const clock = new FakeClock();
let st: OAuthStack;
let h: Harness;
let srv: OAuthStack["srv"];
let owner: TestUser;
let ownerCookie: string;
let viewer: TestUser;
let viewerCookie: string;
beforeAll(async () => {
  st = await startOAuthStack(clock);
  ({ h, srv, owner, ownerCookie, viewer, viewerCookie } = st);
});
// No token, code or verifier in any log line or audit payload of the whole file.
afterAll(() => st?.close());

const connect = (...a: Parameters<OAuthStack["connect"]>) => st.connect(...a);
const mcp = (...a: Parameters<OAuthStack["mcp"]>) => st.mcp(...a);
const initStatus = (...a: Parameters<OAuthStack["initStatus"]>) => st.initStatus(...a);
const token = (...a: Parameters<OAuthStack["token"]>) => st.token(...a);
const secrets = { push: (...s: string[]) => st.secrets.push(...s) };
const consentCode = (...a: Parameters<OAuthStack["consentCode"]>) => st.consentCode(...a);
const exchange = (...a: Parameters<OAuthStack["exchange"]>) => st.exchange(...a);
const tokensOf = (...a: Parameters<OAuthStack["tokensOf"]>) => st.tokensOf(...a);

describe("OAuth 2.1 for MCP clients", () => {
  it("discovery: 401 names the resource metadata, which names the issuer, whose metadata is S256-only with registration", async () => {
    const res = await fetch(`${srv.base}/mcp`, { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
    const url = /resource_metadata="([^"]+)"/.exec(res.headers.get("www-authenticate") ?? "")?.[1];
    expect(url).toBe(`${BASE}/.well-known/oauth-protected-resource/mcp`);
    const prm = (await (
      await h.request("GET", "/.well-known/oauth-protected-resource/mcp")
    ).json()) as Record<string, unknown>;
    expect(prm.resource).toBe(GATEWAY_RESOURCE);
    expect(prm.authorization_servers).toEqual([`${BASE}/api/auth`]);
    const asm = (await (
      await h.request("GET", "/.well-known/oauth-authorization-server/api/auth")
    ).json()) as Record<string, unknown>;
    expect(asm.issuer).toBe(`${BASE}/api/auth`);
    expect(asm.code_challenge_methods_supported).toEqual(["S256"]);
    expect(asm.registration_endpoint).toBe(`${BASE}/api/auth/oauth2/register`);
    expect(asm.response_types_supported).toEqual(["code"]);
  });

  it("code + PKCE → an access token that sees only the consented tool; tokens stored hashed; consent audited", async () => {
    const t = await connect();
    expect(t.expires_in).toBeLessThanOrEqual(ACCESS_TOKEN_TTL_S);
    const init = await mcp(t.access_token, INIT);
    expect(init.status).toBe(200);
    const sid = init.headers.get("mcp-session-id") ?? "";
    await init.text();
    await mcp(t.access_token, { jsonrpc: "2.0", method: "notifications/initialized" }, sid);
    const list = await mcp(t.access_token, { jsonrpc: "2.0", id: 2, method: "tools/list" }, sid);
    const listed = [...(await list.text()).matchAll(/"name":"(everything__[^"]+)"/g)].map((m) => m[1]);
    expect(listed).toEqual(["everything__echo"]);
    // Logged like a key's requests: the grant is the key id of the request-log rows.
    const [grant] = await h.s.gateway.oauth.list(owner.userId, owner.teamId);
    await h.s.gateway.log.flush();
    const rows = await h.s.db.db
      .selectFrom("gateway_requests")
      .select(["method", "status"])
      .where("key_id", "=", grant?.id ?? "")
      .execute();
    expect(rows.map((r) => r.method)).toContain("initialize");
    const db = withOAuth(h.s.db.db);
    const stored = [
      ...(await db.selectFrom("oauthAccessToken").select("token").execute()),
      ...(await db.selectFrom("oauthRefreshToken").select("token").execute()),
    ].map((r) => r.token);
    expect(stored.length).toBeGreaterThanOrEqual(2);
    expect(stored).not.toContain(t.access_token);
    expect(stored).not.toContain(t.refresh_token);
    const audit = JSON.stringify(await h.s.db.db.selectFrom("audit_events").selectAll().execute());
    expect(audit).toContain("oauth_grant.created");
  });

  it("a signed-in person cannot create clients or change resources through the library's own CRUD", async () => {
    const db = withOAuth(h.s.db.db);
    const before = (await db.selectFrom("oauthClient").select("clientId").execute()).length;
    for (const path of ["/api/auth/oauth2/create-client", "/api/auth/admin/oauth2/create-client"]) {
      const r = await h.request("POST", path, {
        cookie: ownerCookie,
        body: { redirect_uris: ["https://evil.example/cb"], client_name: "sneaky" },
      });
      expect(r.status).toBeGreaterThanOrEqual(400);
    }
    const res = await h.request("POST", "/api/auth/admin/oauth2/resources", {
      cookie: ownerCookie,
      body: { identifier: `${BASE}/mcp`, name: "x", accessTokenTtl: 999_999 },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect((await db.selectFrom("oauthClient").select("clientId").execute()).length).toBe(before);
  });

  it("Client ID Metadata Documents: advertised; a URL client_id on a private address or over http is never fetched into a client", async () => {
    const asm = (await (
      await h.request("GET", "/.well-known/oauth-authorization-server/api/auth")
    ).json()) as Record<string, unknown>;
    expect(asm.client_id_metadata_document_supported).toBe(true);
    const db = withOAuth(h.s.db.db);
    // A loopback (private) address is refused before any fetch, with the reason.
    const privateId = `${srv.base.replace("http:", "https:")}/client.json`;
    const refused = await authorize(h, privateId, ownerCookie, { challenge: pkcePair().challenge });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("must not target a private or reserved address");
    // Not HTTPS: not a metadata document URL, so an unknown client.
    const httpId = "http://example.com/client.json";
    const unknown = await authorize(h, httpId, ownerCookie, { challenge: pkcePair().challenge });
    expect(new URL(unknown.headers.get("location") ?? "/", BASE).searchParams.get("error")).toBe(
      "invalid_client",
    );
    for (const clientId of [privateId, httpId]) {
      const rows = await db
        .selectFrom("oauthClient")
        .select("clientId")
        .where("clientId", "=", clientId)
        .execute();
      expect(rows).toEqual([]);
    }
  });

  it("refuses a missing or wrong PKCE verifier, and a code used twice", async () => {
    const clientId = await registerClient(h);
    const { verifier, challenge } = pkcePair();
    const code = await consentCode(clientId, challenge);
    const missing = await token({
      grant_type: "authorization_code",
      client_id: clientId,
      code,
      redirect_uri: REDIRECT,
      resource: GATEWAY_RESOURCE,
    });
    expect(missing.status).toBe(400);
    const wrong = await exchange(clientId, code, pkcePair().verifier);
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBe("invalid_grant");
    // A code is single use, whether or not an earlier attempt failed. Consent is remembered: the second
    // authorization goes straight back to the client with a new code.
    const second = await authorize(h, clientId, ownerCookie, { challenge });
    const code2 = new URL(second.headers.get("location") ?? "").searchParams.get("code") ?? "";
    expect(code2).not.toBe("");
    secrets.push(code2);
    await tokensOf(await exchange(clientId, code2, verifier));
    const again = await exchange(clientId, code2, verifier);
    expect(again.status).toBe(400);
  });

  it("refuses a redirect URI that was not registered, and the plain PKCE method", async () => {
    const clientId = await registerClient(h);
    const other = await authorize(h, clientId, ownerCookie, {
      challenge: pkcePair().challenge,
      redirect: "http://evil.example/cb",
    });
    // Never sent to an address the client did not register: an error page of our own instead.
    const sentTo = new URL(other.headers.get("location") ?? "", BASE);
    expect(sentTo.origin).toBe(BASE);
    expect(sentTo.searchParams.get("error")).toBe("invalid_request");
    const plain = await authorize(h, clientId, ownerCookie, {
      challenge: pkcePair().verifier,
      method: "plain",
    });
    const to = plain.headers.get("location") ?? "";
    expect(to.startsWith(REDIRECT)).toBe(true);
    expect(new URL(to).searchParams.get("error")).toBe("invalid_request");
    expect(new URL(to).searchParams.get("code")).toBeNull();
  });

  it("a loopback redirect is matched on any port (RFC 8252), never another host or path", async () => {
    const clientId = await registerClient(h);
    const ok = await authorize(h, clientId, ownerCookie, {
      challenge: pkcePair().challenge,
      redirect: "http://127.0.0.1:61234/callback",
    });
    expect(new URL(ok.headers.get("location") ?? "", BASE).pathname).toBe("/oauth/consent");
    const path = await authorize(h, clientId, ownerCookie, {
      challenge: pkcePair().challenge,
      redirect: "http://127.0.0.1:53682/other",
    });
    expect(new URL(path.headers.get("location") ?? "/", BASE).pathname).not.toBe("/oauth/consent");
  });

  const platformCall = (accessToken: string, body: unknown) =>
    fetch(`${srv.base}/api/v1/mogplex/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${accessToken}`,
      },
      body: JSON.stringify(body),
    });

  it("the platform MCP: 401 names its own metadata; a token for it works there with the consented scope only", async () => {
    const none = await fetch(`${srv.base}/api/v1/mogplex/mcp`, { method: "POST", body: "{}" });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain(
      `resource_metadata="${BASE}/.well-known/oauth-protected-resource/api/v1/mogplex/mcp"`,
    );
    const t = await connect(PLATFORM_RESOURCE);
    const list = await platformCall(t.access_token, { jsonrpc: "2.0", id: 1, method: "tools/list" });
    expect(list.status).toBe(200);
    expect(await list.text()).toContain("list_repos");
    // read only: a write tool answers its structured error (isError), as for a PAT without the scope.
    const write = await platformCall(t.access_token, {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "start_run", arguments: { repoId: "x", prompt: "y" } },
    });
    const refused = await write.text();
    expect(refused).toContain('"isError":true');
    expect(refused).toContain("Missing required scope: write");
  });

  it("tokens are audience-bound: the platform's is refused at /mcp, the gateway's at the platform MCP", async () => {
    const t = await connect(PLATFORM_RESOURCE);
    expect(await initStatus(t.access_token)).toBe(401);
    const g = await connect();
    const res = await platformCall(g.access_token, INIT);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("an expired access token is refused", async () => {
    const t = await connect();
    expect(await initStatus(t.access_token)).toBe(200);
    // Better Auth stamps expiry with the real clock; ours (fake here) decides at the resource server.
    const past = (ACCESS_TOKEN_TTL_S + 120) * 1000;
    clock.advance(past);
    try {
      expect(await initStatus(t.access_token)).toBe(401);
    } finally {
      clock.advance(-past);
    }
  });

  it("refresh rotates; a reused refresh token is refused and revokes its family", async () => {
    const t = await connect();
    const first = await tokensOf(
      await token({
        grant_type: "refresh_token",
        client_id: t.clientId,
        refresh_token: t.refresh_token,
        resource: GATEWAY_RESOURCE,
      }),
    );
    expect(first.refresh_token).not.toBe(t.refresh_token);
    expect(await initStatus(first.access_token)).toBe(200);
    const reused = await token({
      grant_type: "refresh_token",
      client_id: t.clientId,
      refresh_token: t.refresh_token,
      resource: GATEWAY_RESOURCE,
    });
    expect(reused.status).toBe(400);
    // The family is gone: the rotated refresh token no longer works either.
    const after = await token({
      grant_type: "refresh_token",
      client_id: t.clientId,
      refresh_token: first.refresh_token,
      resource: GATEWAY_RESOURCE,
    });
    expect(after.status).toBe(400);
  });

  it("the consent page shows nothing from a tampered or unsigned request", async () => {
    const clientId = await registerClient(h);
    const signed = await consentQuery(h, clientId, ownerCookie);
    const tampered = signed.replace(
      encodeURIComponent(REDIRECT),
      encodeURIComponent("http://127.0.0.1:9/cb"),
    );
    expect(tampered).not.toBe(signed);
    const unsigned = new URLSearchParams({
      client_id: clientId,
      redirect_uri: REDIRECT,
      resource: GATEWAY_RESOURCE,
    });
    for (const q of [tampered, unsigned.toString()]) {
      const info = await h.json("GET", `/api/oauth/consent?oauthQuery=${encodeURIComponent(q)}`, {
        cookie: ownerCookie,
      });
      expect(info.status).toBe(400);
      const post = await h.json("POST", "/api/oauth/consent", {
        cookie: ownerCookie,
        body: { oauthQuery: q, accept: true, servers: "all" },
      });
      expect(post.status).toBe(400);
    }
  });

  it("a viewer cannot consent (and is told so on the page's data)", async () => {
    const clientId = await registerClient(h);
    const oauthQuery = await consentQuery(h, clientId, viewerCookie);
    const info = await h.json<{ canConsent: boolean; servers: unknown[] }>(
      "GET",
      `/api/oauth/consent?oauthQuery=${encodeURIComponent(oauthQuery)}`,
      { cookie: viewerCookie },
    );
    expect(info.body).toMatchObject({ canConsent: false, servers: [] });
    const c = await h.json("POST", "/api/oauth/consent", {
      cookie: viewerCookie,
      body: { oauthQuery, accept: true, servers: "all" },
    });
    expect(c.status).toBe(403);
    expect(await h.s.gateway.oauth.list(viewer.userId, viewer.teamId)).toEqual([]);
  });
}, 120_000);
