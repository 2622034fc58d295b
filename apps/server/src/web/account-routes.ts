// BFF routes the web app's shell needs: who is signed in (with 2FA state, never a token), and device lookups.
import type { Hono } from "hono";
import { MOG_CLIENT_ID } from "../cli-auth/service.js";
import { formatUserCode, normaliseUserCode } from "../cli-auth/validate.js";
import { iso } from "../clock.js";
import { notFound } from "../http/errors.js";
import { sessionRoute } from "../http/session-route.js";
import type { AppEnv } from "../http/types.js";
import type { Services } from "../services.js";

export function registerWebAccountRoutes(app: Hono<AppEnv>, s: Services): void {
  // What the app shell renders from: the user, their teams and roles, and the team a request would act in.
  // Deliberately not Better Auth's get-session, whose answer includes the session token itself.
  sessionRoute(app, s, "webSession", async (c, { principal }) => {
    const user = await s.db.db
      .selectFrom("user")
      .select(["id", "email", "name", "twoFactorEnabled"])
      .where("id", "=", principal.userId)
      .executeTakeFirstOrThrow();
    const teams = await s.teams.memberships(principal.userId);
    const requested = c.req.header("x-mogplex-team") || undefined;
    const activeTeamId = await s.identity.activeTeam(principal.userId, requested);
    return c.json({
      ok: true,
      data: {
        user: {
          id: user.id,
          email: user.email,
          name: user.name,
          twoFactorEnabled: Boolean(user.twoFactorEnabled),
        },
        teams,
        activeTeamId: activeTeamId ?? teams[0]?.teamId ?? null,
      },
    });
  });

  // The device-approval page shows when, from where and by which client a code was requested, so a person can
  // tell their own terminal's request from one an attacker sent them. Ages are in seconds on the server's clock,
  // so a browser whose clock is off still shows the right "expires in".
  sessionRoute(app, s, "webDeviceRequest", async (c) => {
    const code = normaliseUserCode(c.req.param("userCode") ?? "");
    const pending = code ? await s.cliAuth.pendingDevice(code) : null;
    if (!code || !pending) throw notFound("Code");
    const now = s.clock.now();
    return c.json({
      ok: true,
      data: {
        userCode: formatUserCode(code),
        requestedAt: iso(pending.createdAt),
        expiresAt: iso(pending.expiresAt),
        requestedSecondsAgo: Math.max(0, Math.floor((now - pending.createdAt) / 1000)),
        expiresInSeconds: Math.max(0, Math.floor((pending.expiresAt - now) / 1000)),
        requesterIp: pending.requesterIp,
        requesterAgent: pending.requesterAgent,
        client: pending.clientId === MOG_CLIENT_ID ? "mog" : "mogplex",
      },
    });
  });
}
