// Team audit log for owners and admins (session only; never on the public API; role: the session table).
import type { Hono } from "hono";
import { badRequest } from "../http/errors.js";
import { sessionRoute } from "../http/session-route.js";
import type { AppEnv } from "../http/types.js";
import type { Services } from "../services.js";

export function registerAuditRoutes(app: Hono<AppEnv>, s: Services): void {
  sessionRoute(app, s, "listAuditEvents", async (c, { team }) => {
    const cursor = c.req.query("cursor");
    if (cursor !== undefined && !/^\d{1,15}$/.test(cursor)) throw badRequest("cursor is invalid");
    const action = c.req.query("action");
    if (action !== undefined && !/^[a-z0-9_.]{1,64}$/.test(action))
      throw badRequest("action filter is invalid");
    const page = await s.audit.listForTeam(s.db.db, team.teamId, {
      beforeSeq: cursor === undefined ? undefined : Number(cursor),
      action,
    });
    return c.json({
      events: page.events,
      nextCursor: page.nextCursor === null ? null : String(page.nextCursor),
    });
  });
}
