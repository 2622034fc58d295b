// Follows a run's live events over SSE until a terminal event: reconnects with Last-Event-ID after a dropped
// connection (backing off, honouring Retry-After), and ends with the run's final state.
import { type Run, type RunEvent, TERMINAL_EVENT_TYPES, TERMINAL_RUN_STATUSES } from "@mogplex/contract";
import type { Ctx } from "../context.js";
import { TemporaryError } from "../errors.js";
import type { Api } from "./api.js";

export const MAX_BACKOFF_MS = 10_000;

export interface FollowDeps {
  /** Waits `ms`, or less if `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realSleep: FollowDeps["sleep"] = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

export const backoff = (failures: number) => Math.min(MAX_BACKOFF_MS, 500 * 2 ** failures);

const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** How long to wait before reconnecting after `err`, or rethrows when retrying can't help (401, 404, …). */
export function retryDelayMs(err: unknown, failures: number): number {
  const e = err as { name?: string; status?: number; retryAfterSeconds?: number };
  if (e?.name === "MogplexApiError" && e.status !== undefined && RETRY_STATUSES.has(e.status)) {
    return e.retryAfterSeconds !== undefined ? e.retryAfterSeconds * 1000 : backoff(failures);
  }
  if (e?.name === "MogplexNetworkError") return backoff(failures);
  throw err;
}

const isTerminalEvent = (e: RunEvent) => (TERMINAL_EVENT_TYPES as readonly string[]).includes(e.type);
const isTerminalRun = (r: Run) => TERMINAL_RUN_STATUSES.includes(r.status);

export async function followRun(
  ctx: Ctx,
  api: Api,
  runId: string,
  o: { after?: number; timeoutS?: number; onEvent: (e: RunEvent) => void },
  deps: FollowDeps = { sleep: realSleep },
): Promise<Run> {
  const ac = new AbortController();
  const timer = o.timeoutS !== undefined ? setTimeout(() => ac.abort(), o.timeoutS * 1000) : undefined;
  let last = o.after;
  let failures = 0;
  const timedOut = () =>
    new TemporaryError(`stopped following run ${runId} after ${o.timeoutS} s; it has not finished yet`);
  const wait = async (ms: number, why: string) => {
    ctx.log.write("follow.retry", { runId, waitMs: ms, why, lastEventId: last ?? null });
    if (ms >= 1000) ctx.io.err(`mogplex: ${why}; reconnecting in ${Math.round(ms / 1000)} s`);
    await deps.sleep(ms, ac.signal);
    if (ac.signal.aborted) throw timedOut();
  };
  try {
    for (;;) {
      let got = 0;
      let ended = false;
      try {
        for await (const e of api.streamRunEvents(runId, { lastEventId: last, signal: ac.signal })) {
          got++;
          failures = 0;
          last = e.seq;
          ctx.log.debug("stream.chunk", { runId, chunk: e });
          o.onEvent(e);
          if (isTerminalEvent(e)) {
            ended = true;
            break;
          }
        }
        const { run } = await api.getRun(runId);
        // A clean close after new events may have cut a backlog short: look once more before trusting it.
        if (ended || (isTerminalRun(run) && got === 0)) return run;
        if (got === 0) await wait(backoff(failures++), "the event stream closed");
      } catch (err) {
        if (ac.signal.aborted) throw timedOut();
        const ms = retryDelayMs(err, failures++);
        await wait(ms, `connection lost (${(err as Error).message})`);
      }
    }
  } finally {
    if (timer) clearTimeout(timer);
  }
}
