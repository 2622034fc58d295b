// The live run-event stream (SSE), shared by the public API route and the web app's session route.
import { type RunEvent, TERMINAL_EVENT_TYPES } from "@mogplex/contract";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { AppEnv } from "../http/types.js";
import type { Services } from "../services.js";
import { parseAfter } from "./events.js";
import { isTerminal } from "./service.js";

const HEARTBEAT_MS = 15_000;

/**
 * Streams a run's events after `Last-Event-ID` (or `?after`): the stored backlog, then live events, closing
 * after a terminal event. The caller has already authorised access to the run within `teamId`.
 */
export function streamRunEvents(c: Context<AppEnv>, s: Services, teamId: string, runId: string): Response {
  let last = parseAfter(c.req.header("last-event-id") ?? c.req.query("after"));
  const res = streamSSE(c, async (stream) => {
    // Subscribe before reading the backlog so nothing published in between is lost.
    const queue: RunEvent[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = s.events.subscribe(runId, (e) => {
      queue.push(e);
      wake?.();
    });
    // With a Redis bus the subscription is live only once the server confirms it.
    await s.bus.ready?.();
    stream.onAbort(() => {
      unsubscribe();
      wake?.();
    });
    const send = async (e: RunEvent): Promise<boolean> => {
      if (e.seq <= last) return false;
      // A gap (publishes crossed, or one was lost): everything up to this event is already stored.
      if (e.seq > last + 1) return drainStored();
      last = e.seq;
      await stream.writeSSE({ id: String(e.seq), event: e.type, data: JSON.stringify(e) });
      return (TERMINAL_EVENT_TYPES as readonly string[]).includes(e.type);
    };
    /** Sends every stored event after `last`; true once a terminal event went out. */
    const drainStored = async (): Promise<boolean> => {
      for (;;) {
        const page = await s.events.list(runId, last, 200);
        for (const e of page.events) if (await send(e)) return true;
        if (page.nextCursor === null) return false;
      }
    };
    /**
     * A run's end state commits together with its events, so once the run reads as ended everything it
     * will ever say is stored: read that rather than wait for a publish that may still be on its way.
     */
    const endedAndDrained = async (): Promise<boolean> => {
      if (await drainStored()) return true;
      const fresh = await s.runs.get(teamId, runId);
      if (!isTerminal(fresh.status)) return false;
      await drainStored();
      return true;
    };
    try {
      if (await endedAndDrained()) return;
      while (!stream.aborted) {
        const e = queue.shift();
        if (e) {
          // Seqs are gap-free, so a jump means an earlier publish is late or lost; storage has it.
          if (e.seq > last + 1) {
            if (await drainStored()) return;
            continue;
          }
          if (await send(e)) return;
          continue;
        }
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await new Promise<boolean>((resolve) => {
          wake = () => resolve(false);
          timer = setTimeout(() => resolve(true), HEARTBEAT_MS);
        });
        clearTimeout(timer);
        wake = undefined;
        if (!timedOut || stream.aborted) continue;
        // Quiet for a while: a publish may have been lost (another replica, a crash after commit), so
        // catch up from storage before saying we're still here.
        if (await endedAndDrained()) return;
        if (queue.length === 0) await stream.write(": keep-alive\n\n");
      }
    } finally {
      unsubscribe();
    }
  });
  // streamSSE sets no-cache; a run's events are private and must not be stored by any cache at all.
  res.headers.set("Cache-Control", "no-store");
  return res;
}
