// Shared helpers for the run/repo/sandbox API tests: envelopes, run creation and a bounded SSE reader.
import type { Run, RunEvent } from "@mogplex/contract";
import { type Harness, type TestUser, uniq } from "../../test-support/harness.js";

export const API = "/api/v1/mogplex";

/** Budgets out of the way, for suites that start many runs but do not test budgets. */
export const ROOMY_BUDGETS = { MOGPLEX_RUN_START_LIMITS: "1000/1m,1000/1h,1000/1d" };

export interface Ok<T> {
  ok: true;
  data: T;
}
export interface Err {
  ok: false;
  error: { code: string; message: string; requestId?: string };
}
export type Env<T> = Ok<T> | Err;

export type Created = { run: Run; replayed: boolean };

/** Narrows an envelope to its data, failing loudly (with the error) when it is not a success. */
export function dataOf<T>(body: Env<T>): T {
  if (!body.ok) throw new Error(`expected success, got ${JSON.stringify(body.error)}`);
  return body.data;
}

export function errorOf(body: Env<unknown>): Err["error"] {
  if (body.ok) throw new Error(`expected an error, got ${JSON.stringify(body.data)}`);
  return body.error;
}

export interface Actor {
  user: TestUser;
  token: string;
  repoId: string;
}

/** A user with a read+write PAT and one repo in their team. */
export async function actor(h: Harness, opts: { team?: string } = {}): Promise<Actor> {
  const user = await h.user(opts.team ? { team: opts.team } : {});
  const { token } = await h.pat(user);
  const repoId = await h.repo(user.teamId);
  return { user, token, repoId };
}

export function startRun(
  h: Harness,
  token: string,
  body: Record<string, unknown>,
  key: string = uniq("idem-"),
): Promise<{ status: number; body: Env<Created>; res: Response }> {
  return h.json<Env<Created>>("POST", `${API}/runs`, { token, body, headers: { "idempotency-key": key } });
}

/** Starts a run that must succeed and returns it. */
export async function newRun(h: Harness, a: Actor, prompt = "do the thing"): Promise<Run> {
  const r = await startRun(h, a.token, { repoId: a.repoId, prompt });
  if (r.status !== 202) throw new Error(`run start failed: ${r.status} ${JSON.stringify(r.body)}`);
  return dataOf(r.body).run;
}

/** Rejects (failing the test) if `p` does not settle within `ms`; never used to assert on speed. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/** Reads an event-stream body message by message; `next()` resolves null once the server ends the stream. */
export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = "";
  private ended = false;

  constructor(res: Response) {
    if (!res.body) throw new Error("response has no body");
    this.reader = res.body.getReader();
  }

  async next(ms = 5000): Promise<SseMessage | null> {
    for (;;) {
      const message = this.take();
      if (message) return message;
      if (this.ended) return null;
      const { done, value } = await within(this.reader.read(), ms, "the next SSE chunk");
      if (done) this.ended = true;
      else this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** Every remaining message until the server closes the stream. */
  async rest(ms = 5000): Promise<SseMessage[]> {
    const out: SseMessage[] = [];
    for (;;) {
      const m = await this.next(ms);
      if (!m) return out;
      out.push(m);
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }

  private take(): SseMessage | null {
    for (;;) {
      const end = this.buffer.search(/\r?\n\r?\n/);
      if (end < 0) return null;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      const m: SseMessage = { id: undefined, event: undefined, data: "" };
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "id") m.id = value;
        else if (field === "event") m.event = value;
        else if (field === "data") data.push(value);
      }
      // A block of only comments (keep-alives) carries no message.
      if (m.id === undefined && m.event === undefined && data.length === 0) continue;
      m.data = data.join("\n");
      return m;
    }
  }
}

/** Follows nextCursor through every page of a list, failing on a runaway loop. */
export async function walk<T extends { id: string }>(
  h: Harness,
  token: string,
  path: string,
  field: string,
  limit: number,
): Promise<{ ids: string[]; pageSizes: number[] }> {
  const ids: string[] = [];
  const pageSizes: number[] = [];
  let cursor: string | null = null;
  const sep = path.includes("?") ? "&" : "?";
  for (let i = 0; i < 100; i++) {
    const url = `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const r = await h.json<Env<Record<string, unknown>>>("GET", url, { token });
    if (r.status !== 200) throw new Error(`${url}: ${r.status} ${JSON.stringify(r.body)}`);
    const data = dataOf(r.body);
    const items = data[field] as T[];
    ids.push(...items.map((x) => x.id));
    pageSizes.push(items.length);
    cursor = data.nextCursor as string | null;
    if (cursor === null) return { ids, pageSizes };
  }
  throw new Error("pagination did not end");
}

export const eventOf = (m: SseMessage): RunEvent => JSON.parse(m.data) as RunEvent;
