// Typed client for the public v1 API: one method per route in the contract, responses parsed with its schemas.
import {
  type CreateRunRequest,
  PUBLIC_BASE,
  PUBLIC_ROUTES,
  type PublicRouteName,
  type RunEvent,
  RunEvent as RunEventSchema,
  TERMINAL_EVENT_TYPES,
} from "@mogplex/contract";
import type { z } from "zod";
import { MogplexApiError, MogplexTransportError } from "./errors.js";
import { parseSse } from "./sse.js";

type Out<N extends PublicRouteName> = z.infer<(typeof PUBLIC_ROUTES)[N]["response"]>;

export interface ClientOptions {
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
  userAgent?: string;
}

export interface ListOptions {
  limit?: number;
  cursor?: string;
}

export class MogplexClient {
  private readonly base: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly o: ClientOptions) {
    this.base = o.baseUrl.replace(/\/+$/, "") + PUBLIC_BASE;
    this.doFetch = o.fetch ?? fetch;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      authorization: `Bearer ${this.o.token}`,
      accept: "application/json",
      ...(this.o.userAgent ? { "user-agent": this.o.userAgent } : {}),
      ...extra,
    };
  }

  private async call<N extends PublicRouteName>(
    name: N,
    params: Record<string, string> = {},
    query: Record<string, string | number | undefined> = {},
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<Out<N>> {
    const spec = PUBLIC_ROUTES[name];
    const path = spec.path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? ""));
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") qs.set(k, String(v));
    const url = `${this.base}${path}${qs.size ? `?${qs}` : ""}`;
    const headers = this.headers(extraHeaders);
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await this.doFetch(url, {
        method: spec.method.toUpperCase(),
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new MogplexTransportError(`cannot reach ${this.o.baseUrl}: ${(err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new MogplexTransportError(`unexpected response (HTTP ${res.status}) from ${this.o.baseUrl}`);
    }
    if (!res.ok) throw toApiError(res, json);
    const env = json as { ok?: boolean; data?: unknown };
    const parsed = spec.response.safeParse(env?.data);
    if (!env?.ok || !parsed.success)
      throw new MogplexTransportError(`response for ${name} does not match the contract`);
    return parsed.data as Out<N>;
  }

  listRepos(o: ListOptions & { q?: string } = {}) {
    return this.call("listRepos", {}, { ...o });
  }
  getRepo(id: string) {
    return this.call("getRepo", { id });
  }
  createRun(body: CreateRunRequest, idempotencyKey: string) {
    return this.call("createRun", {}, {}, body, { "idempotency-key": idempotencyKey });
  }
  listRuns(o: ListOptions & { repoId?: string; status?: string } = {}) {
    return this.call("listRuns", {}, { ...o });
  }
  getRun(id: string) {
    return this.call("getRun", { id });
  }
  cancelRun(id: string) {
    return this.call("cancelRun", { id });
  }
  listRunEvents(id: string, o: { after?: number; limit?: number } = {}) {
    return this.call("listRunEvents", { id }, { ...o });
  }
  listSandboxes(o: ListOptions & { repoId?: string; status?: string } = {}) {
    return this.call("listSandboxes", {}, { ...o });
  }
  getSandbox(id: string) {
    return this.call("getSandbox", { id });
  }
  stopSandbox(id: string) {
    return this.call("stopSandbox", { id });
  }

  /** Follows a run's events over SSE from `lastEventId`; ends after a terminal event or when the server closes. */
  async *streamRunEvents(
    id: string,
    o: { lastEventId?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<RunEvent> {
    const headers = this.headers({ accept: "text/event-stream" });
    if (o.lastEventId !== undefined) headers["last-event-id"] = String(o.lastEventId);
    let res: Response;
    try {
      res = await this.doFetch(`${this.base}/runs/${encodeURIComponent(id)}/events/stream`, {
        headers,
        signal: o.signal,
      });
    } catch (err) {
      throw new MogplexTransportError(`cannot reach ${this.o.baseUrl}: ${(err as Error).message}`);
    }
    if (!res.ok || !res.body) {
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      throw toApiError(res, json);
    }
    for await (const m of parseSse(res.body)) {
      const parsed = RunEventSchema.safeParse(JSON.parse(m.data));
      if (!parsed.success) throw new MogplexTransportError("stream event does not match the contract");
      yield parsed.data;
      if ((TERMINAL_EVENT_TYPES as readonly string[]).includes(parsed.data.type)) return;
    }
  }
}

function toApiError(res: Response, json: unknown): MogplexApiError {
  const err = (json as { error?: { code?: string; message?: string; requestId?: string } } | undefined)
    ?.error;
  const retry = res.headers.get("retry-after");
  return new MogplexApiError(
    res.status,
    err?.code ?? `HTTP_${res.status}`,
    err?.message ?? `HTTP ${res.status}`,
    err?.requestId ?? res.headers.get("x-request-id") ?? undefined,
    retry !== null && /^\d+$/.test(retry) ? Number(retry) : undefined,
  );
}
