// Session-only PAT management: /api/settings/api-keys (a PAT can never mint or revoke PATs); and the public
// GET /api/v1/mogplex/token, where a PAT reads its own name, scopes and expiry.
import { CreateTokenRequest } from "@mogplex/contract";
import type { Hono } from "hono";
import { ApiError } from "../http/errors.js";
import { publicRoute } from "../http/public-route.js";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import { parseOrThrow } from "../http/validate.js";
import type { Services } from "../services.js";

export function registerTokenRoutes(app: Hono<AppEnv>, s: Services): void {
  sessionRoute(
    app,
    s,
    "POST",
    "/api/settings/api-keys",
    async (c, { principal, body }) => {
      const req = parseOrThrow(CreateTokenRequest, body ?? {});
      const teamId = await s.identity.activeTeam(principal.userId, c.req.header("x-mogplex-team"));
      if (!teamId) throw new ApiError("FORBIDDEN", "You are not a member of any team");
      const created = await s.tokens.create(principal.userId, teamId, req, auditContext(c, principal));
      return c.json(created, 201);
    },
    { limit: "tokenCreate" },
  );
  sessionRoute(app, s, "GET", "/api/settings/api-keys", async (c, { principal }) => {
    return c.json({ keys: await s.tokens.list(principal.userId) });
  });
  sessionRoute(app, s, "DELETE", "/api/settings/api-keys/:id", async (c, { principal }) => {
    await s.tokens.revoke(principal.userId, c.req.param("id") ?? "", auditContext(c, principal));
    return c.json({ ok: true });
  });
  publicRoute(app, s, "getToken", async (c, { principal }) => {
    return c.json({ ok: true, data: { token: await s.tokens.current(principal.tokenId) } });
  });
}
