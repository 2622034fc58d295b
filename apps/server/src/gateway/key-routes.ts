// Session routes for gateway keys: members manage their own, owners and admins every key of the team (the
// service decides per key; the session table declares the team source and limits).
import type { Hono } from "hono";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import type { Services } from "../services.js";

export function registerGatewayKeyRoutes(app: Hono<AppEnv>, s: Services): void {
  sessionRoute(app, s, "createGatewayKey", async (c, { principal, team, body }) => {
    return c.json(
      await s.gateway.keys.create(principal.userId, team.teamId, body, auditContext(c, principal)),
      201,
    );
  });
  sessionRoute(app, s, "listGatewayKeys", async (c, { principal, team }) => {
    return c.json({ keys: await s.gateway.keys.list(principal.userId, team.teamId) });
  });
  sessionRoute(app, s, "revokeGatewayKey", async (c, { principal }) => {
    await s.gateway.keys.revoke(principal.userId, c.req.param("id") ?? "", auditContext(c, principal));
    return c.json({ ok: true });
  });
  sessionRoute(app, s, "rotateGatewayKey", async (c, { principal }) => {
    return c.json(
      await s.gateway.keys.rotate(principal.userId, c.req.param("id") ?? "", auditContext(c, principal)),
    );
  });
}
