// Session routes for teams: members, roles and invitations.
import type { Hono } from "hono";
import { z } from "zod";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import { parseOrThrow } from "../http/validate.js";
import type { Services } from "../services.js";

const RoleSchema = z.enum(["owner", "admin", "member", "viewer"]);
const InviteBody = z.object({ email: z.email().max(254), role: RoleSchema }).strict();
const RoleBody = z.object({ role: RoleSchema }).strict();
const AcceptBody = z.object({ token: z.string().min(1).max(200) }).strict();

export function registerTeamRoutes(app: Hono<AppEnv>, s: Services): void {
  sessionRoute(app, s, "GET", "/api/teams", async (c, { principal }) => {
    return c.json({ teams: await s.teams.memberships(principal.userId) });
  });
  sessionRoute(app, s, "GET", "/api/teams/:teamId/members", async (c, { principal }) => {
    const teamId = c.req.param("teamId") ?? "";
    await s.teams.roleOf(principal.userId, teamId);
    return c.json({ members: await s.teams.listMembers(teamId) });
  });
  sessionRoute(app, s, "PATCH", "/api/teams/:teamId/members/:userId", async (c, { principal, body }) => {
    const { role } = parseOrThrow(RoleBody, body);
    await s.teams.changeRole(
      principal.userId,
      c.req.param("teamId") ?? "",
      c.req.param("userId") ?? "",
      role,
      auditContext(c, principal),
    );
    return c.json({ ok: true });
  });
  sessionRoute(app, s, "DELETE", "/api/teams/:teamId/members/:userId", async (c, { principal }) => {
    await s.teams.removeMember(
      principal.userId,
      c.req.param("teamId") ?? "",
      c.req.param("userId") ?? "",
      auditContext(c, principal),
    );
    return c.json({ ok: true });
  });
  sessionRoute(app, s, "GET", "/api/teams/:teamId/invitations", async (c, { principal }) => {
    return c.json({
      invitations: await s.teams.listInvitations(principal.userId, c.req.param("teamId") ?? ""),
    });
  });
  sessionRoute(app, s, "POST", "/api/teams/:teamId/invitations", async (c, { principal, body }) => {
    const req = parseOrThrow(InviteBody, body);
    const inv = await s.teams.invite(
      principal.userId,
      c.req.param("teamId") ?? "",
      req.email,
      req.role,
      auditContext(c, principal),
    );
    return c.json(inv, 201);
  });
  sessionRoute(app, s, "DELETE", "/api/teams/:teamId/invitations/:id", async (c, { principal }) => {
    await s.teams.revokeInvitation(
      principal.userId,
      c.req.param("teamId") ?? "",
      c.req.param("id") ?? "",
      auditContext(c, principal),
    );
    return c.json({ ok: true });
  });
  sessionRoute(app, s, "POST", "/api/invitations/accept", async (c, { principal, body }) => {
    const { token } = parseOrThrow(AcceptBody, body);
    const membership = await s.teams.acceptInvitation(
      principal.userId,
      principal.email,
      token,
      auditContext(c, principal),
    );
    return c.json({ membership });
  });
}
