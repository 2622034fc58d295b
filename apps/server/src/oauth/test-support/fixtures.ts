// Test helpers of OAuth for MCP clients: a registered public client, a PKCE pair, the consent page's signed query
// (as Better Auth hands it to the browser), and the Origin-check fixtures of this room's session mutations
// (test-support/session-mutations.ts spreads them).
import { createHash, randomBytes } from "node:crypto";
import type { AuditContext } from "../../audit/store.js";
import { BASE, type Harness, type TestUser } from "../../test-support/harness.js";

export const REDIRECT = "http://127.0.0.1:53682/callback";
export const GATEWAY_RESOURCE = `${BASE}/mcp`;
const ctx: AuditContext = { actorType: "system", actorId: null, authSource: "system" };

/** Dynamic Client Registration of a public client (no cookie, no Origin: as an MCP client sends it). */
export async function registerClient(
  h: Harness,
  redirectUris = [REDIRECT],
  name = "Test Client",
): Promise<string> {
  const r = await h.json<{ client_id: string }>("POST", "/api/auth/oauth2/register", {
    origin: null,
    body: { client_name: name, redirect_uris: redirectUris, token_endpoint_auth_method: "none" },
  });
  if (r.status !== 201) throw new Error(`registration answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.client_id;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** GET /oauth2/authorize with a session; the answer (a redirect to the consent page, or an error). */
export function authorize(
  h: Harness,
  clientId: string,
  cookie: string,
  o: { challenge: string; redirect?: string; resource?: string; method?: string },
): Promise<Response> {
  const q = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: o.redirect ?? REDIRECT,
    code_challenge: o.challenge,
    code_challenge_method: o.method ?? "S256",
    state: "st-1",
    scope: "mcp offline_access",
    resource: o.resource ?? GATEWAY_RESOURCE,
  });
  return h.request("GET", `/api/auth/oauth2/authorize?${q}`, { cookie, headers: { accept: "text/html" } });
}

/** The signed query of the consent page the browser is sent to. */
export async function consentQuery(
  h: Harness,
  clientId: string,
  cookie: string,
  resource?: string,
): Promise<string> {
  const res = await authorize(h, clientId, cookie, { challenge: pkcePair().challenge, resource });
  const to = new URL(res.headers.get("location") ?? "", BASE);
  if (res.status !== 302 || to.pathname !== "/oauth/consent")
    throw new Error(`authorize answered ${res.status}`);
  return to.search.slice(1);
}

export function oauthMutationFixtures(h: Harness, owner: TestUser, ownerCookie: string) {
  return {
    oauthConsent: {
      ok: 200,
      prepare: async () => ({
        path: "/api/oauth/consent",
        body: { oauthQuery: await consentQuery(h, await registerClient(h), ownerCookie), accept: false },
        cookie: ownerCookie,
      }),
    },
    revokeOAuthGrant: {
      ok: 200,
      prepare: async () => {
        const req = {
          resource: "gateway" as const,
          clientId: "fixture",
          clientName: "Fixture",
          redirectHost: "127.0.0.1",
          servers: "all" as const,
        };
        const id = await h.s.gateway.oauth.record(owner.userId, owner.teamId, req, ctx);
        return { path: `/api/settings/connected-apps/${id}`, cookie: ownerCookie };
      },
    },
  };
}
