// Public v1 run routes: create, read, list, cancel, events and the live SSE stream.
import { ListQuery, type RunEvent, RunStatus, TERMINAL_EVENT_TYPES } from "@mogplex/contract";
import type { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { publicRoute } from "../http/public-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import { parseOrThrow } from "../http/validate.js";
import type { Services } from "../services.js";
import { parseAfter } from "./events.js";
import { isTerminal, toRun } from "./service.js";

const RunListQuery = ListQuery.extend({
  repoId: z.string().max(64).optional(),
  status: RunStatus.optional(),
});
const EventListQuery = z.object({ limit: ListQuery.shape.limit, after: z.string().max(20).optional() });
const HEARTBEAT_MS = 15_000;

export function registerRunRoutes(app: Hono<AppEnv>, s: Services): void {
  publicRoute(app, s, "createRun", async (c, { principal, body, rawBody, idempotencyKey }) => {
    const data = await s.runs.create(
      principal,
      body,
      rawBody,
      idempotencyKey ?? "",
      "api",
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
    let last = parseAfter(c.req.header("last-event-id") ?? c.req.query("after"));
    c.header("Cache-Control", "no-store");
    return streamSSE(c, async (stream) => {
      // Subscribe before reading the backlog so nothing published in between is lost.
      const queue: RunEvent[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = s.events.subscribe(run.id, (e) => {
        queue.push(e);
        wake?.();
      });
      await s.bus.ready?.();
      stream.onAbort(() => {
        unsubscribe();
        wake?.();
      });
      const send = async (e: RunEvent): Promise<boolean> => {
        if (e.seq <= last) return false;
        last = e.seq;
        await stream.writeSSE({ id: String(e.seq), event: e.type, data: JSON.stringify(e) });
        return (TERMINAL_EVENT_TYPES as readonly string[]).includes(e.type);
      };
      try {
        for (;;) {
          const page = await s.events.list(run.id, last, 200);
          for (const e of page.events) if (await send(e)) return;
          if (page.nextCursor === null) break;
        }
        // A run that ended without a terminal event (older data) has nothing more to say.
        const fresh = await s.runs.get(principal.teamId, run.id);
        if (isTerminal(fresh.status) && queue.length === 0) return;
        while (!stream.aborted) {
          const e = queue.shift();
          if (e) {
            if (await send(e)) return;
            continue;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            const t = setTimeout(resolve, HEARTBEAT_MS);
            t.unref();
          });
          wake = undefined;
          if (queue.length === 0 && !stream.aborted) {
            await stream.write(": keep-alive\n\n");
            // Safety net for a lost pub/sub message: re-read anything stored since the last event sent.
            const missed = await s.events.list(run.id, last, 200);
            queue.push(...missed.events);
          }
        }
      } finally {
        unsubscribe();
      }
    });
  });
}
