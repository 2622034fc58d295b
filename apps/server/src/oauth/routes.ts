// OAuth for MCP clients, the HTTP edge: discovery documents (RFC 9728 resource metadata for /mcp and the
// platform MCP, RFC 8414 authorization-server metadata at the path the MCP SDK probes for an issuer with a path),
// the client-facing protocol endpoints (token, registration, revocation: no cookies, no Origin rule, registration
// limited per address), the consent page's backend and "Connected apps".
import { oauthProviderAuthServerMetadata } from "@better-auth/oauth-provider";
import { isAPIError } from "better-auth/api";
import type { Context, Hono } from "hono";
import { badRequest } from "../failure.js";
import { ipLimit } from "../http/middleware.js";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import type { Services } from "../services.js";
import { consentInfo, consentRequest } from "./consent.js";
import { AUTH_BASE_PATH, GATEWAY_RESOURCE_PATH, OAUTH_SCOPES, PLATFORM_RESOURCE_PATH } from "./provider.js";
import { metadataPath, oauthOrigin } from "./resource.js";

/** Token, registration and revocation are called by MCP clients, not pages: cookies are dropped. */
const CLIENT_ENDPOINTS = ["/oauth2/token", "/oauth2/register", "/oauth2/revoke"];

export function registerOAuthRoutes(app: Hono<AppEnv>, s: Services): void {
  const origin = () => oauthOrigin(s.config);
  for (const [path, name] of [
    [GATEWAY_RESOURCE_PATH, "Mogplex MCP gateway"],
    [PLATFORM_RESOURCE_PATH, "Mogplex platform MCP"],
  ] as const) {
    app.get(metadataPath(path), (c) =>
      c.json(
        {
          resource: `${origin()}${path}`,
          authorization_servers: [`${origin()}${AUTH_BASE_PATH}`],
          scopes_supported: [...OAUTH_SCOPES],
          bearer_methods_supported: ["header"],
          resource_name: name,
        },
        200,
        { "Cache-Control": "public, max-age=300" },
      ),
    );
  }
  const asMetadata = oauthProviderAuthServerMetadata(s.identity.auth);
  // Where the MCP SDK looks first for the issuer <origin>/api/auth (RFC 8414 §3.1: path-suffixed at the root).
  app.get(`/.well-known/oauth-authorization-server${AUTH_BASE_PATH}`, (c) => asMetadata(c.req.raw));

  const meta = (c: Context<AppEnv>) => ({ clientIp: c.get("clientIp"), requestId: c.get("requestId") });
  app.post(
    `${AUTH_BASE_PATH}/oauth2/register`,
    ipLimit(s.limiter, s.rules.tokenCreate, s.clock, "oauth-register"),
  );
  for (const path of CLIENT_ENDPOINTS) {
    app.post(`${AUTH_BASE_PATH}${path}`, async (c) => {
      const headers = new Headers(c.req.raw.headers);
      headers.delete("cookie");
      const req = new Request(c.req.raw.url, {
        method: "POST",
        headers,
        body: c.req.raw.body,
        duplex: "half",
      } as RequestInit);
      return s.identity.handle(req, meta(c));
    });
  }

  sessionRoute(app, s, "oauthConsentInfo", async (c, { principal, team, query }) => {
    return c.json(await consentInfo(s, principal.userId, team, query.oauthQuery));
  });
  sessionRoute(app, s, "oauthConsent", async (c, { principal, team, body }) => {
    const request = await consentRequest(s, body, team.teamId);
    const accept = body.accept;
    let url: string;
    try {
      const res = (await s.identity.auth.api.oauth2Consent({
        body: { accept, oauth_query: body.oauthQuery },
        headers: c.req.raw.headers,
      })) as { url: string };
      url = res.url;
    } catch (err) {
      if (isAPIError(err)) {
        const e = err.body as { error_description?: string; message?: string } | undefined;
        throw badRequest(`Consent refused: ${e?.error_description ?? e?.message ?? "invalid request"}`);
      }
      throw err;
    }
    if (accept)
      await s.gateway.oauth.record(principal.userId, team.teamId, request, auditContext(c, principal));
    return c.json({ redirect: url });
  });
  sessionRoute(app, s, "listOAuthGrants", async (c, { principal, team }) => {
    return c.json({ grants: await s.gateway.oauth.list(principal.userId, team.teamId) });
  });
  sessionRoute(app, s, "revokeOAuthGrant", async (c, { principal }) => {
    await s.gateway.oauth.revoke(principal.userId, c.req.param("id") ?? "", auditContext(c, principal));
    return c.json({ ok: true });
  });
}
