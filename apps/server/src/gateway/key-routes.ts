// Session routes for gateway keys: members manage their own, owners and admins every key of the team.
import { CreateGatewayKeyRequest } from "@mogplex/contract";
import type { Context, Hono } from "hono";
import { ApiError } from "../http/errors.js";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext, type SessionPrincipal } from "../http/types.js";
import { parseOrThrow } from "../http/validate.js";
import type { Services } from "../services.js";

export function registerGatewayKeyRoutes(app: Hono<AppEnv>, s: Services): void {
  const base = "/api/settings/gateway-keys";
  const teamOf = async (c: Context<AppEnv>, p: SessionPrincipal) => {
    const teamId = await s.identity.activeTeam(p.userId, c.req.header("x-mogplex-team"));
    if (!teamId) throw new ApiError("FORBIDDEN", "You are not a member of any team");
    return teamId;
  };

  sessionRoute(
    app,
    s,
    "POST",
    base,
    async (c, { principal, body }) => {
      const req = parseOrThrow(CreateGatewayKeyRequest, body ?? {});
      const teamId = await teamOf(c, principal);
      return c.json(
        await s.gateway.keys.create(principal.userId, teamId, req, auditContext(c, principal)),
        201,
      );
    },
    { limit: "tokenCreate" },
  );
  sessionRoute(app, s, "GET", base, async (c, { principal }) => {
    return c.json({ keys: await s.gateway.keys.list(principal.userId, await teamOf(c, principal)) });
  });
  sessionRoute(app, s, "DELETE", `${base}/:id`, async (c, { principal }) => {
    await s.gateway.keys.revoke(principal.userId, c.req.param("id") ?? "", auditContext(c, principal));
    return c.json({ ok: true });
  });
  sessionRoute(
    app,
    s,
    "POST",
    `${base}/:id/rotate`,
    async (c, { principal }) => {
      return c.json(
        await s.gateway.keys.rotate(principal.userId, c.req.param("id") ?? "", auditContext(c, principal)),
      );
    },
    { limit: "tokenCreate" },
  );
}
