// Identity HTTP surface: Better Auth's /api/auth/*, first-run setup, profile, sessions, export and deletion.
import type { Context, Hono } from "hono";
import { ApiError, errorResponse } from "../http/errors.js";
import { requireSameOrigin, trustedOriginsOf } from "../http/origin.js";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext, type SessionPrincipal } from "../http/types.js";
import type { Services } from "../services.js";

export function registerIdentityRoutes(app: Hono<AppEnv>, s: Services): void {
  const meta = (c: Context<AppEnv>) => ({ clientIp: c.get("clientIp"), requestId: c.get("requestId") });
  app.get("/api/auth/*", (c) => s.identity.handle(c.req.raw, meta(c)));
  // Every Better Auth POST (sign-in, sign-out, 2FA, password change…) passes our Origin rules first; Better
  // Auth's own check stays on behind it, told the configured origin when a same-origin fetch sent none.
  app.post("/api/auth/*", async (c) => {
    try {
      requireSameOrigin(c, s.config);
    } catch (err) {
      if (err instanceof ApiError) return errorResponse(c, err);
      throw err;
    }
    return s.identity.handle(c.req.raw, { ...meta(c), origin: trustedOriginsOf(s.config)[0] });
  });

  sessionRoute(app, s, "getSetup", async (c) => c.json(await s.identity.setupStatus()));
  sessionRoute(app, s, "completeSetup", async (c, { body }) => {
    const result = await s.identity.completeSetup(
      body.token,
      { email: body.email, name: body.name, password: body.password },
      body.team ?? "default",
      auditContext(c, null),
    );
    return c.json({ ok: true, userId: result.userId, teamId: result.teamId }, 201);
  });

  // Someone invited who has no account yet: the invitation (bearer, single use) stands in for sign-up.
  sessionRoute(app, s, "invitationSignUp", async (c, { body }) => {
    const userId = await s.identity.signUpWithInvitation(
      body.token,
      body.name,
      body.password,
      auditContext(c, null),
    );
    return c.json({ ok: true, userId }, 201);
  });

  sessionRoute(app, s, "getMe", async (c, { principal }) => {
    return c.json({
      user: { id: principal.userId, email: principal.email, name: principal.name },
      teams: await s.teams.memberships(principal.userId),
    });
  });
  sessionRoute(app, s, "listMySessions", async (c, { principal }) => {
    return c.json({ sessions: await s.identity.listSessions(principal.userId, principal.sessionId) });
  });
  sessionRoute(app, s, "revokeMySession", async (c, { principal }) => {
    await s.identity.revokeSession(principal.userId, c.req.param("id") ?? "", auditContext(c, principal));
    return c.json({ ok: true });
  });
  sessionRoute(app, s, "exportMe", async (c, { principal }) => {
    c.header("Content-Disposition", 'attachment; filename="mogplex-export.json"');
    return c.json({ ok: true, data: await s.identity.exportData(principal.userId) });
  });
  sessionRoute(app, s, "deleteMeByPost", async (c, { principal, body }) => deleteMe(c, s, principal, body));
  sessionRoute(app, s, "deleteMe", async (c, { principal, body }) => deleteMe(c, s, principal, body));
}

async function deleteMe(
  c: Context<AppEnv>,
  s: Services,
  principal: SessionPrincipal,
  { confirm }: { confirm: string },
): Promise<Response> {
  // The typed confirmation guards against a stray click or a replayed request deleting an account.
  if (confirm.toLowerCase() !== principal.email.toLowerCase()) {
    throw new ApiError("BAD_REQUEST", "confirm must be your account's email address");
  }
  await s.identity.deleteAccount(principal.userId, auditContext(c, principal));
  return c.json({ ok: true, data: { deleted: true } });
}
