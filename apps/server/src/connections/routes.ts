// Connection routes: settings (session; owners/admins change, members read names) and the resolved MCP config.
import { CreateConnectionRequest, McpServersQuery, UpdateConnectionRequest } from "@mogplex/contract";
import type { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../http/errors.js";
import { publicRoute } from "../http/public-route.js";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import { parseOrThrow } from "../http/validate.js";
import type { Services } from "../services.js";

const RepoFilter = z.object({ repoId: z.string().max(64).optional() }).strict();

export function registerConnectionRoutes(app: Hono<AppEnv>, s: Services): void {
  const base = "/api/teams/:teamId/connections";
  const team = (c: { req: { param: (k: string) => string | undefined } }) => c.req.param("teamId") ?? "";

  sessionRoute(app, s, "GET", base, async (c, { principal }) => {
    const teamId = team(c);
    await s.teams.roleOf(principal.userId, teamId);
    const q = parseOrThrow(RepoFilter, c.req.query());
    return c.json(await s.connections.list(teamId, q.repoId));
  });

  sessionRoute(app, s, "GET", `${base}/:id`, async (c, { principal }) => {
    const teamId = team(c);
    await s.teams.roleOf(principal.userId, teamId);
    return c.json({ connection: await s.connections.get(teamId, c.req.param("id") ?? "") });
  });

  sessionRoute(app, s, "POST", base, async (c, { principal, body }) => {
    const teamId = team(c);
    await s.teams.requireRole(principal.userId, teamId, "admin");
    const req = parseOrThrow(CreateConnectionRequest, body ?? {});
    const created = await s.connections.create(teamId, principal.userId, req, auditContext(c, principal));
    return c.json({ connection: created }, 201);
  });

  sessionRoute(app, s, "PATCH", `${base}/:id`, async (c, { principal, body }) => {
    const teamId = team(c);
    await s.teams.requireRole(principal.userId, teamId, "admin");
    const req = parseOrThrow(UpdateConnectionRequest, body ?? {});
    const id = c.req.param("id") ?? "";
    return c.json({ connection: await s.connections.update(teamId, id, req, auditContext(c, principal)) });
  });

  sessionRoute(app, s, "DELETE", `${base}/:id`, async (c, { principal }) => {
    const teamId = team(c);
    await s.teams.requireRole(principal.userId, teamId, "admin");
    await s.connections.remove(teamId, c.req.param("id") ?? "", auditContext(c, principal));
    return c.json({ ok: true });
  });

  const exclusion = "/api/teams/:teamId/repos/:repoId/exclusions/:connectionId";
  for (const [method, excluded] of [
    ["POST", true],
    ["DELETE", false],
  ] as const) {
    sessionRoute(app, s, method, exclusion, async (c, { principal }) => {
      const teamId = team(c);
      await s.teams.requireRole(principal.userId, teamId, "admin");
      await s.connections.setExcluded(
        teamId,
        c.req.param("repoId") ?? "",
        c.req.param("connectionId") ?? "",
        excluded,
        auditContext(c, principal),
      );
      return c.json({ ok: true, excluded });
    });
  }

  publicRoute(app, s, "listMcpServers", async (c, { principal }) => {
    // Decrypted credentials are for people who use the servers; a viewer only reads dashboards.
    if (principal.role === "viewer") {
      throw new ApiError("FORBIDDEN", "Viewers cannot read MCP server credentials");
    }
    const q = parseOrThrow(McpServersQuery, c.req.query());
    const data = await s.connections.resolvedMcp(principal.teamId, q);
    // Recorded before the response leaves: every disclosure of decrypted config is on the audit chain.
    await s.db.db.transaction().execute((trx) =>
      s.audit.append(trx, auditContext(c, principal), {
        teamId: principal.teamId,
        action: "mcp_servers.read",
        targetType: "mcp_servers",
        targetId: q.repoId ?? null,
        payload: { repoId: q.repoId ?? null, servers: data.servers.map((x) => x.id) },
      }),
    );
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    return c.json({ ok: true, data });
  });
}
