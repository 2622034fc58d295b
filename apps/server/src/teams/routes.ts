// Session routes for teams: members, roles and invitations (who may call each: the contract's session table).
import type { Hono } from "hono";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import type { Services } from "../services.js";

export function registerTeamRoutes(app: Hono<AppEnv>, s: Services): void {
  sessionRoute(app, s, "listTeams", async (c, { principal }) => {
    return c.json({ teams: await s.teams.memberships(principal.userId) });
  });
  sessionRoute(app, s, "listMembers", async (c, { team }) => {
    return c.json({ members: await s.teams.listMembers(team.teamId) });
  });
  sessionRoute(app, s, "changeMemberRole", async (c, { principal, team, body }) => {
    await s.teams.changeRole(team, c.req.param("userId") ?? "", body.role, auditContext(c, principal));
    return c.json({ ok: true });
  });
  sessionRoute(app, s, "removeMember", async (c, { principal, team }) => {
    await s.teams.removeMember(team, c.req.param("userId") ?? "", auditContext(c, principal));
    return c.json({ ok: true });
  });
  sessionRoute(app, s, "listInvitations", async (c, { team }) => {
    return c.json({ invitations: await s.teams.listInvitations(team.teamId) });
  });
  sessionRoute(app, s, "createInvitation", async (c, { principal, team, body }) => {
    const inv = await s.teams.invite(team, body.email, body.role, auditContext(c, principal));
    return c.json(inv, 201);
  });
  sessionRoute(app, s, "revokeInvitation", async (c, { principal, team }) => {
    await s.teams.revokeInvitation(team.teamId, c.req.param("id") ?? "", auditContext(c, principal));
    return c.json({ ok: true });
  });
  sessionRoute(app, s, "acceptInvitation", async (c, { principal, body }) => {
    const membership = await s.teams.acceptInvitation(
      principal.userId,
      principal.email,
      body.token,
      auditContext(c, principal),
    );
    return c.json({ membership });
  });
}
