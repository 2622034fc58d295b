// Session-only PAT management: /api/settings/api-keys (a PAT can never mint or revoke PATs); and the public
// GET /api/v1/mogplex/token, where a PAT reads its own name, scopes and expiry.
import type { Hono } from "hono";
import { publicRoute } from "../http/public-route.js";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import type { Services } from "../services.js";

export function registerTokenRoutes(app: Hono<AppEnv>, s: Services): void {
  sessionRoute(app, s, "createApiKey", async (c, { principal, team, body }) => {
    const created = await s.tokens.create(principal.userId, team.teamId, body, auditContext(c, principal));
    return c.json(created, 201);
  });
  sessionRoute(app, s, "listApiKeys", async (c, { principal }) => {
    return c.json({ keys: await s.tokens.list(principal.userId) });
  });
  sessionRoute(app, s, "revokeApiKey", async (c, { principal }) => {
    await s.tokens.revoke(principal.userId, c.req.param("id") ?? "", auditContext(c, principal));
    return c.json({ ok: true });
  });
  publicRoute(app, s, "getToken", async (c, { principal }) => {
    return c.json({ ok: true, data: { token: await s.tokens.current(principal.tokenId) } });
  });
}
