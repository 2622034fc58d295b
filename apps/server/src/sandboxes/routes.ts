// Public v1 sandbox routes.
import { SandboxListQuery } from "@mogplex/contract";
import type { Hono } from "hono";
import { publicRoute } from "../http/public-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import { parseOrThrow } from "../http/validate.js";
import type { Services } from "../services.js";
import { toSandbox } from "./service.js";

export function registerSandboxRoutes(app: Hono<AppEnv>, s: Services): void {
  publicRoute(app, s, "listSandboxes", async (c, { principal }) => {
    const q = parseOrThrow(SandboxListQuery, c.req.query());
    const data = await s.sandboxes.list(principal.teamId, q);
    return c.json({ ok: true, data });
  });
  publicRoute(app, s, "getSandbox", async (c, { principal }) => {
    const row = await s.sandboxes.get(principal.teamId, c.req.param("id") ?? "");
    return c.json({ ok: true, data: { sandbox: toSandbox(row) } });
  });
  publicRoute(app, s, "stopSandbox", async (c, { principal }) => {
    const data = await s.sandboxes.stop(
      principal.teamId,
      c.req.param("id") ?? "",
      auditContext(c, principal),
    );
    return c.json({ ok: true, data });
  });
}
