// Public v1 run routes: create, read, list, cancel, events and the live SSE stream.
import { EventListQuery, RunListQuery } from "@mogplex/contract";
import type { Hono } from "hono";
import { publicRoute } from "../http/public-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import { parseOrThrow } from "../http/validate.js";
import type { Services } from "../services.js";
import { parseAfter } from "./events.js";
import { toRun } from "./service.js";
import { streamRunEvents } from "./stream-routes.js";

export function registerRunRoutes(app: Hono<AppEnv>, s: Services): void {
  publicRoute(app, s, "createRun", async (c, { principal, body, rawBody, idempotencyKey }) => {
    const data = await s.runs.create(
      principal,
      body,
      rawBody,
      idempotencyKey ?? "",
      principal.client,
      auditContext(c, principal),
    );
    return c.json({ ok: true, data }, 202);
  });

  publicRoute(app, s, "listRuns", async (c, { principal }) => {
    const q = parseOrThrow(RunListQuery, c.req.query());
    return c.json({ ok: true, data: await s.runs.list(principal.teamId, q) });
  });

  publicRoute(app, s, "getRun", async (c, { principal }) => {
    const run = await s.runs.get(principal.teamId, c.req.param("id") ?? "");
    return c.json({ ok: true, data: { run: toRun(run) } });
  });

  publicRoute(app, s, "cancelRun", async (c, { principal }) => {
    const data = await s.runs.cancel(principal.teamId, c.req.param("id") ?? "", auditContext(c, principal));
    return c.json({ ok: true, data });
  });

  publicRoute(app, s, "listRunEvents", async (c, { principal }) => {
    const run = await s.runs.get(principal.teamId, c.req.param("id") ?? "");
    const q = parseOrThrow(EventListQuery, c.req.query());
    return c.json({ ok: true, data: await s.events.list(run.id, parseAfter(q.after), q.limit) });
  });

  publicRoute(app, s, "streamRunEvents", async (c, { principal }) => {
    const run = await s.runs.get(principal.teamId, c.req.param("id") ?? "");
    return streamRunEvents(c, s, principal.teamId, run.id);
  });
}
