// HTTP from outside for the cluster suites: API calls with their timing, a signed-in browser session, and an SSE
// follower that reconnects with Last-Event-ID (to the same or another base URL) until the run's terminal event.
import type { RunEvent } from "@mogplex/contract";
import { API } from "./cluster.js";

export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  ms: number;
}

/** One request; `body` is parsed JSON when the answer is JSON. Never retries. */
export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  o: {
    token?: string;
    cookie?: string;
    origin?: string;
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer<T>> {
  const started = performance.now();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      ...(o.cookie ? { cookie: o.cookie } : {}),
      ...(o.origin ? { origin: o.origin } : {}),
      ...(o.body === undefined ? {} : { "content-type": "application/json" }),
      ...o.headers,
    },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get("content-type") ?? "").includes("json")) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: body as T, ms: performance.now() - started };
}

export const api = <T = Record<string, unknown>>(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) => call<T>(base, method, `${API}${path}`, { token, body, headers });

let keys = 0;
/** POST /runs with an Idempotency-Key (a fresh one unless given). */
export const startRun = <T = Record<string, unknown>>(
  base: string,
  token: string,
  body: Record<string, unknown>,
  key = `cluster-${process.pid}-${Date.now()}-${keys++}`,
) => api<T>(base, token, "POST", "/runs", body, { "idempotency-key": key });

/** Signs in through `base` as a browser would (Origin: the public URL) and returns the cookie header. */
export async function signIn(base: string, origin: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

export interface Received {
  event: RunEvent;
  /** Date.now() when it arrived. */
  at: number;
  /** Which connection (0, 1, …) delivered it. */
  connection: number;
}

export interface Follower {
  received: Received[];
  /** Base URL of each connection, in order, and the x-front-upstream of each (when through the front). */
  connections: Array<{ base: string; upstream: string | null; lastEventId: string | null }>;
  done: Promise<void>;
  stop(): void;
}

const TERMINAL = new Set(["finished", "failed", "cancelled"]);

/** Reads `data:` messages off an event stream (ids and event names are in the JSON); null at its end. */
class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = "";

  constructor(res: Response) {
    if (!res.body) throw new Error("response has no body");
    this.reader = res.body.getReader();
  }

  async next(ms: number): Promise<string | null> {
    for (;;) {
      const end = this.buffer.search(/\r?\n\r?\n/);
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end).replace(/^\r?\n\r?\n/, "");
        const data = block
          .split(/\r?\n/)
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).replace(/^ /, ""));
        if (data.length > 0) return data.join("\n");
        continue; // a keep-alive comment or an id-only block
      }
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        this.reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("no data on the event stream in time")), ms);
        }),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) return null;
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}

/**
 * Follows a run's live events. `baseFor(n)` names the base URL of the n-th connection; when a stream ends or
 * breaks before the terminal event, the follower reconnects there with Last-Event-ID of the last event it has.
 * `cutAfter` closes the first connection after that many events (a client going away on purpose).
 */
export function follow(
  baseFor: (n: number) => string,
  token: string,
  runId: string,
  o: { cutAfter?: number; deadlineMs?: number; onEvent?: (r: Received) => void } = {},
): Follower {
  const received: Received[] = [];
  const connections: Follower["connections"] = [];
  let stopped = false;
  let current: SseReader | undefined;
  const deadline = Date.now() + (o.deadlineMs ?? 60_000);
  const done = (async () => {
    for (let n = 0; !stopped; n++) {
      if (Date.now() > deadline) throw new Error(`run ${runId}: no terminal event before the deadline`);
      if (n > 20) throw new Error(`run ${runId}: gave up after ${n} reconnects`);
      const base = baseFor(n);
      const last = received.at(-1)?.event.seq;
      let res: Response;
      try {
        res = await fetch(`${base}${API}/runs/${runId}/events/stream`, {
          headers: {
            authorization: `Bearer ${token}`,
            accept: "text/event-stream",
            ...(last === undefined ? {} : { "last-event-id": String(last) }),
          },
        });
      } catch {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      connections.push({
        base,
        upstream: res.headers.get("x-front-upstream"),
        lastEventId: last === undefined ? null : String(last),
      });
      if (res.status !== 200) {
        await res.body?.cancel();
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      const reader = new SseReader(res);
      current = reader;
      try {
        for (;;) {
          const m = await reader.next(Math.max(1, deadline - Date.now()));
          if (!m) break;
          const r: Received = { event: JSON.parse(m) as RunEvent, at: Date.now(), connection: n };
          received.push(r);
          o.onEvent?.(r);
          if (TERMINAL.has(r.event.type)) return;
          if (n === 0 && o.cutAfter !== undefined && received.length >= o.cutAfter) break;
        }
      } catch {
        // the stream broke (its replica died): reconnect
      }
      await reader.cancel();
    }
  })();
  return {
    received,
    connections,
    done,
    stop() {
      stopped = true;
      void current?.cancel();
    },
  };
}
