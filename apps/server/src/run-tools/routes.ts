// HTTP edge of the team's run tool policy: the web app's session routes (owners and admins).
import type { Hono } from "hono";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import type { Services } from "../services.js";
import { runToolsPolicy, setRunToolsPolicy } from "./policy.js";

export function registerRunToolsRoutes(app: Hono<AppEnv>, s: Services): void {
  sessionRoute(app, s, "getTeamRunToolsPolicy", async (c, { team }) => {
    return c.json({ ok: true, data: await runToolsPolicy(s.db.db, team.teamId) });
  });

  sessionRoute(app, s, "updateTeamRunToolsPolicy", async (c, { principal, team, body }) => {
    const data = await setRunToolsPolicy(
      s.db.db,
      s.audit,
      team.teamId,
      body.tools,
      auditContext(c, principal),
    );
    return c.json({ ok: true, data });
  });
}
