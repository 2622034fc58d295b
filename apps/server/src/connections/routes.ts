// Connection routes: settings (session; roles in the contract's session table) and the resolved MCP config.
import { McpServersQuery } from "@mogplex/contract";
import type { Hono } from "hono";
import { ApiError } from "../http/errors.js";
import { publicRoute } from "../http/public-route.js";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import { parseOrThrow } from "../http/validate.js";
import type { Services } from "../services.js";

export function registerConnectionRoutes(app: Hono<AppEnv>, s: Services): void {
  sessionRoute(app, s, "listConnections", async (c, { team, query }) => {
    return c.json(await s.connections.list(team.teamId, query.repoId));
  });
  sessionRoute(app, s, "getConnection", async (c, { team }) => {
    return c.json({ connection: await s.connections.get(team.teamId, c.req.param("id") ?? "") });
  });
  sessionRoute(app, s, "createConnection", async (c, { principal, team, body }) => {
    const created = await s.connections.create(
      team.teamId,
      principal.userId,
      body,
      auditContext(c, principal),
    );
    return c.json({ connection: created }, 201);
  });
  sessionRoute(app, s, "updateConnection", async (c, { principal, team, body }) => {
    const id = c.req.param("id") ?? "";
    return c.json({
      connection: await s.connections.update(team.teamId, id, body, auditContext(c, principal)),
    });
  });
  sessionRoute(app, s, "deleteConnection", async (c, { principal, team }) => {
    await s.connections.remove(team.teamId, c.req.param("id") ?? "", auditContext(c, principal));
    return c.json({ ok: true });
  });
  for (const [name, excluded] of [
    ["excludeConnection", true],
    ["includeConnection", false],
  ] as const) {
    sessionRoute(app, s, name, async (c, { principal, team }) => {
      await s.connections.setExcluded(
        team.teamId,
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
