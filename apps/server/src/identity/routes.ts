// Identity HTTP surface: Better Auth's /api/auth/*, first-run setup, profile, sessions, export and deletion.
import type { Context, Hono } from "hono";
import { z } from "zod";
import { readJsonBody } from "../http/body.js";
import { ApiError, errorResponse } from "../http/errors.js";
import { requireSameOrigin, trustedOriginsOf } from "../http/origin.js";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext, type SessionPrincipal } from "../http/types.js";
import { parseOrThrow } from "../http/validate.js";
import type { Services } from "../services.js";

const SetupBody = z
  .object({
    token: z.string().min(1).max(200),
    email: z.string().max(254),
    name: z.string().max(100),
    password: z.string().max(256),
    team: z.string().max(40).optional(),
  })
  .strict();
const InviteSignUpBody = z
  .object({ token: z.string().min(1).max(200), name: z.string().max(100), password: z.string().max(256) })
  .strict();
const DeleteBody = z.object({ confirm: z.string().max(254) }).strict();

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

  app.get("/api/setup", async (c) => c.json(await s.identity.setupStatus()));
  app.post("/api/setup", async (c) => {
    try {
      requireSameOrigin(c, s.config);
      const body = parseOrThrow(SetupBody, await readJsonBody(c, s.config.bodyLimitBytes));
      const result = await s.identity.completeSetup(
        body.token,
        { email: body.email, name: body.name, password: body.password },
        body.team ?? "default",
        auditContext(c, null),
      );
      return c.json({ ok: true, userId: result.userId, teamId: result.teamId }, 201);
    } catch (err) {
      if (err instanceof ApiError) return errorResponse(c, err);
      throw err;
    }
  });

  // Someone invited who has no account yet: the invitation (bearer, single use) stands in for sign-up.
  app.post("/api/invitations/sign-up", async (c) => {
    try {
      requireSameOrigin(c, s.config);
      const body = parseOrThrow(InviteSignUpBody, await readJsonBody(c, s.config.bodyLimitBytes));
      const userId = await s.identity.signUpWithInvitation(
        body.token,
        body.name,
        body.password,
        auditContext(c, null),
      );
      return c.json({ ok: true, userId }, 201);
    } catch (err) {
      if (err instanceof ApiError) return errorResponse(c, err);
      throw err;
    }
  });

  sessionRoute(app, s, "GET", "/api/me", async (c, { principal }) => {
    return c.json({
      user: { id: principal.userId, email: principal.email, name: principal.name },
      teams: await s.teams.memberships(principal.userId),
    });
  });
  sessionRoute(app, s, "GET", "/api/me/sessions", async (c, { principal }) => {
    return c.json({ sessions: await s.identity.listSessions(principal.userId, principal.sessionId) });
  });
  sessionRoute(app, s, "DELETE", "/api/me/sessions/:id", async (c, { principal }) => {
    await s.identity.revokeSession(principal.userId, c.req.param("id") ?? "", auditContext(c, principal));
    return c.json({ ok: true });
  });
  sessionRoute(app, s, "GET", "/api/v1/users/me/export", async (c, { principal }) => {
    c.header("Content-Disposition", 'attachment; filename="mogplex-export.json"');
    return c.json({ ok: true, data: await s.identity.exportData(principal.userId) });
  });
  sessionRoute(app, s, "POST", "/api/v1/users/me/delete", async (c, { principal, body }) => {
    return deleteMe(c, s, principal, body);
  });
  sessionRoute(app, s, "DELETE", "/api/v1/users/me", async (c, { principal }) => {
    const body = await readJsonBody(c, s.config.bodyLimitBytes, { optional: true });
    return deleteMe(c, s, principal, body);
  });
}

async function deleteMe(
  c: Context<AppEnv>,
  s: Services,
  principal: SessionPrincipal,
  body: unknown,
): Promise<Response> {
  // The typed confirmation guards against a stray click or a replayed request deleting an account.
  const { confirm } = parseOrThrow(DeleteBody, body ?? {});
  if (confirm.toLowerCase() !== principal.email.toLowerCase()) {
    throw new ApiError("BAD_REQUEST", "confirm must be your account's email address");
  }
  await s.identity.deleteAccount(principal.userId, auditContext(c, principal));
  return c.json({ ok: true, data: { deleted: true } });
}
