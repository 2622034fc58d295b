// Typed client for the public v1 API: one method per route in the contract, responses parsed with its schemas.
import {
  type CreateRunRequest,
  PUBLIC_BASE,
  PUBLIC_ROUTES,
  type PublicRouteName,
  type RepoSettingsBody,
  type RunEvent,
  RunEvent as RunEventSchema,
  TERMINAL_EVENT_TYPES,
} from "@mogplex/contract";
import type { z } from "zod";
import { MogplexApiError, MogplexNetworkError, MogplexTransportError } from "./errors.js";
import { parseSse } from "./sse.js";

type Out<N extends PublicRouteName> = z.infer<(typeof PUBLIC_ROUTES)[N]["response"]>;

/** What a finished request looked like (no headers, no bodies): for callers' own logs. */
export interface ResponseInfo {
  method: string;
  path: string;
  status: number;
  ms: number;
  requestId: string | undefined;
}

export interface ClientOptions {
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
  userAgent?: string;
  /** Per request (not per stream); a request that takes longer fails with MogplexNetworkError. */
  timeoutMs?: number;
  onResponse?: (info: ResponseInfo) => void;
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
    const method = spec.method.toUpperCase();
    const started = Date.now();
    let res: Response;
    let text: string;
    try {
      res = await this.doFetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: this.o.timeoutMs ? AbortSignal.timeout(this.o.timeoutMs) : undefined,
      });
      text = await res.text();
    } catch (err) {
      throw this.networkError(err);
    }
    this.report(method, path, res, started);
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      // A failure page from something in front of the server (proxy, load balancer) still has a status and
      // maybe Retry-After, which is what callers decide retries on.
      if (!res.ok) throw toApiError(res, undefined);
      throw new MogplexTransportError(`unexpected response (HTTP ${res.status}) from ${this.o.baseUrl}`);
    }
    if (!res.ok) throw toApiError(res, json);
    const env = json as { ok?: boolean; data?: unknown };
    const parsed = spec.response.safeParse(env?.data);
    if (!env?.ok || !parsed.success)
      throw new MogplexTransportError(`response for ${name} does not match the contract`);
    return parsed.data as Out<N>;
  }

  private networkError(err: unknown): MogplexNetworkError {
    const e = err as Error;
    const why = e.name === "TimeoutError" ? `no answer within ${this.o.timeoutMs} ms` : e.message;
    return new MogplexNetworkError(`cannot reach ${this.o.baseUrl}: ${why}`);
  }

  private report(method: string, path: string, res: Response, started: number): void {
    this.o.onResponse?.({
      method,
      path: PUBLIC_BASE + path,
      status: res.status,
      ms: Date.now() - started,
      requestId: res.headers.get("x-request-id") ?? undefined,
    });
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
  /** The resolved MCP config, decrypted headers and env included: keep it like a .env file. */
  listMcpServers(o: ListOptions & { repoId?: string } = {}) {
    return this.call("listMcpServers", {}, { ...o });
  }
  getSandbox(id: string) {
    return this.call("getSandbox", { id });
  }
  stopSandbox(id: string) {
    return this.call("stopSandbox", { id });
  }
  /** The token this client uses: name, prefix, scopes, expiry (never the secret). */
  getToken() {
    return this.call("getToken", {});
  }
  /** The model catalogue: each model with whether credentials exist and whether the team allows it. */
  listModels() {
    return this.call("listModels", {});
  }
  /** Change a repo's install command, dev command, port or environment source (owner/admin; null clears). */
  updateRepoSettings(id: string, settings: RepoSettingsBody) {
    return this.call("updateRepoSettings", { id }, {}, settings);
  }

  /** Follows a run's events over SSE from `lastEventId`; ends after a terminal event or when the server closes. */
  async *streamRunEvents(
    id: string,
    o: { lastEventId?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<RunEvent> {
    const headers = this.headers({ accept: "text/event-stream" });
    if (o.lastEventId !== undefined) headers["last-event-id"] = String(o.lastEventId);
    const path = `/runs/${encodeURIComponent(id)}/events/stream`;
    const started = Date.now();
    let res: Response;
    try {
      res = await this.doFetch(`${this.base}${path}`, { headers, signal: o.signal });
    } catch (err) {
      if (o.signal?.aborted) throw err;
      throw this.networkError(err);
    }
    this.report("GET", path, res, started);
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
    const messages = parseSse(res.body);
    for (;;) {
      let next: IteratorResult<{ data: string }>;
      try {
        next = await messages.next();
      } catch (err) {
        // A connection cut mid-stream (server restart, proxy timeout): the caller resumes from the last id.
        if (o.signal?.aborted) throw err;
        throw new MogplexNetworkError(`event stream interrupted: ${(err as Error).message}`);
      }
      if (next.done) return;
      let data: unknown;
      try {
        data = JSON.parse(next.value.data);
      } catch {
        throw new MogplexTransportError("stream event is not JSON");
      }
      const parsed = RunEventSchema.safeParse(data);
      if (!parsed.success) throw new MogplexTransportError("stream event does not match the contract");
      yield parsed.data;
      if ((TERMINAL_EVENT_TYPES as readonly string[]).includes(parsed.data.type)) {
        await messages.return(undefined);
        return;
      }
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
