// One downstream MCP session: the SDK's low-level Server answering from the key's catalog, every request logged.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { Clock } from "../../clock.js";
import type { GatewayPrincipal } from "../auth/keys.js";
import { type ErrorClass, type RpcError, toClientError } from "../errors.js";
import type { RequestLog } from "../request-log.js";
import type { CallOptions, ListKind, Result } from "../upstream/upstream.js";
import type { Catalog } from "./catalog.js";

export interface SessionDeps {
  clock: Clock;
  log: RequestLog;
  catalogFor(p: GatewayPrincipal): Promise<Catalog>;
}

interface Target {
  server: string | null;
  tool: string | null;
}

type Meta = { progressToken?: string | number } & Record<string, unknown>;

/** Splits the client's _meta: its progress token stays here (the upstream gets one of ours), the rest goes on. */
function splitMeta(meta: Meta | undefined): {
  token: string | number | undefined;
  rest: Record<string, unknown> | undefined;
} {
  if (!meta) return { token: undefined, rest: undefined };
  const { progressToken, ...rest } = meta;
  return { token: progressToken, rest: Object.keys(rest).length ? rest : undefined };
}

/** Calls `gone` if the HTTP client disconnects before its answer is written; returns the unsubscribe. */
export type ClientGone = (gone: () => void) => () => void;

export class GatewaySession {
  readonly server: Server;
  transport: Transport | undefined;
  lastSeen: number;
  private catalog: Promise<Catalog> | undefined;
  /** In-flight fast-path calls by JSON-RPC id, so a notifications/cancelled from the client reaches them. */
  private readonly fast = new Map<string | number, AbortController>();

  constructor(
    readonly principal: GatewayPrincipal,
    private readonly d: SessionDeps,
  ) {
    this.lastSeen = d.clock.now();
    this.server = new Server(
      { name: "mogplex-gateway", version: "0.1.0" },
      {
        capabilities: {
          tools: { listChanged: true },
          resources: { listChanged: true },
          prompts: { listChanged: true },
        },
      },
    );
    this.register();
  }

  get keyId(): string {
    return this.principal.keyId;
  }

  currentCatalog(): Promise<Catalog> {
    if (!this.catalog) {
      const next = this.d.catalogFor(this.principal);
      next.catch(() => {
        if (this.catalog === next) this.catalog = undefined;
      });
      this.catalog = next;
    }
    return this.catalog;
  }

  /** The team's servers changed: rebuild the catalog and tell the client every list may differ. */
  resetCatalog(): void {
    this.catalog = undefined;
    for (const kind of ["tools", "resources", "prompts"] as const) this.notifyListChanged(kind);
  }

  /** An upstream's list changed: drop that part of the catalog (if this session uses it) and tell the client. */
  async upstreamListChanged(serverId: string, kind: ListKind): Promise<void> {
    const catalog = await this.catalog?.catch(() => undefined);
    if (!catalog?.serves(serverId)) return;
    catalog.invalidate(kind);
    this.notifyListChanged(kind);
  }

  private notifyListChanged(kind: ListKind): void {
    const send =
      kind === "tools"
        ? () => this.server.sendToolListChanged()
        : kind === "resources"
          ? () => this.server.sendResourceListChanged()
          : () => this.server.sendPromptListChanged();
    send().catch(() => undefined); // no open stream to the client: it will list again when it next looks
  }

  /** Wraps a handler: times it, logs one metadata row, and turns failures into generic client errors. */
  private handle<R>(
    method: string,
    fn: (target: Target) => Promise<R>,
    extra: { signal: AbortSignal; authInfo?: { extra?: Record<string, unknown> } },
  ): Promise<R> {
    const requestId = String(extra.authInfo?.extra?.requestId ?? "unknown");
    const start = performance.now();
    const target: Target = { server: null, tool: null };
    const done = (status: "ok" | "error" | "denied", errorClass: ErrorClass | null) =>
      this.d.log.record({
        keyId: this.principal.id,
        teamId: this.principal.teamId,
        requestId,
        method,
        server: target.server,
        tool: target.tool,
        status,
        errorClass,
        latencyMs: performance.now() - start,
      });
    this.lastSeen = this.d.clock.now();
    return fn(target).then(
      (r) => {
        done("ok", null);
        return r;
      },
      (err: unknown) => {
        const { error, errorClass } = toClientError(err, requestId);
        done(
          errorClass === "not_found" ? "denied" : "error",
          extra.signal.aborted ? "cancelled" : errorClass,
        );
        throw error;
      },
    );
  }

  /** Forwards a call: progress comes back under the client's own token, cancellation goes up with the signal. */
  async forward(
    method: "tools/call" | "prompts/get",
    exposedName: string,
    params: Record<string, unknown>,
    target: Target,
    opts: {
      signal?: AbortSignal;
      sendProgress?: (token: string | number, p: Record<string, unknown>) => Promise<void>;
    },
  ): Promise<Result> {
    const catalog = await this.currentCatalog();
    const entry = await catalog.resolve(method === "tools/call" ? "tools" : "prompts", exposedName);
    target.server = entry.view.config.name;
    target.tool = entry.item.name;
    const { token, rest } = splitMeta(params._meta as Meta | undefined);
    const callOpts: CallOptions = { signal: opts.signal };
    const sent: Array<Promise<void>> = [];
    if (token !== undefined && opts.sendProgress) {
      const send = opts.sendProgress;
      callOpts.onprogress = (p) => sent.push(send(token, p));
    }
    const upstreamParams: Record<string, unknown> = { ...params, name: entry.item.name };
    delete upstreamParams._meta;
    if (rest) upstreamParams._meta = rest;
    const result = await entry.view.upstream.request(method, upstreamParams, callOpts);
    // Progress must not arrive after the result (the response closes the stream it travels on).
    await Promise.allSettled(sent);
    return result;
  }

  /**
   * The hot path: a `tools/call` that asked for no progress, answered as one JSON response without going
   * through the SDK's server transport (no SSE stream, no per-message re-validation). Same catalog, same
   * allowlist, same log row as the SDK path.
   */
  async fastCall(
    msg: { id: string | number; params: { name: string } & Record<string, unknown> },
    requestId: string,
    onClientGone: ClientGone,
  ): Promise<Response> {
    const ac = new AbortController();
    const unsubscribe = onClientGone(() => ac.abort());
    this.fast.set(msg.id, ac);
    let body: string;
    try {
      const result = await this.handle(
        "tools/call",
        (target) => this.forward("tools/call", msg.params.name, msg.params, target, { signal: ac.signal }),
        { signal: ac.signal, authInfo: { extra: { requestId } } },
      );
      body = JSON.stringify({ jsonrpc: "2.0", id: msg.id, result });
    } catch (err) {
      const e = err as RpcError;
      body = JSON.stringify({ jsonrpc: "2.0", id: msg.id, error: { code: e.code, message: e.message } });
    } finally {
      this.fast.delete(msg.id);
      unsubscribe();
    }
    return new Response(body, { status: 200, headers: { "Content-Type": "application/json" } });
  }

  /** True when the id was a fast-path call of this session (now aborted). */
  cancelFast(id: unknown): boolean {
    const ac = typeof id === "string" || typeof id === "number" ? this.fast.get(id) : undefined;
    ac?.abort();
    return ac !== undefined;
  }

  private register(): void {
    const s = this.server;

    s.setRequestHandler(ListToolsRequestSchema, (_req, extra) =>
      this.handle("tools/list", async () => (await this.currentCatalog()).listTools(), extra),
    );
    s.setRequestHandler(CallToolRequestSchema, (req, extra) =>
      this.handle(
        "tools/call",
        (target) =>
          this.forward("tools/call", req.params.name, req.params as Record<string, unknown>, target, {
            signal: extra.signal,
            sendProgress: (progressToken, p) =>
              extra
                .sendNotification({
                  method: "notifications/progress",
                  params: { ...p, progressToken } as never,
                })
                .catch(() => undefined),
          }) as never,
        extra,
      ),
    );
    s.setRequestHandler(ListPromptsRequestSchema, (_req, extra) =>
      this.handle("prompts/list", async () => (await this.currentCatalog()).listPrompts(), extra),
    );
    s.setRequestHandler(GetPromptRequestSchema, (req, extra) =>
      this.handle(
        "prompts/get",
        (target) =>
          this.forward("prompts/get", req.params.name, req.params as Record<string, unknown>, target, {
            signal: extra.signal,
          }) as never,
        extra,
      ),
    );
    s.setRequestHandler(ListResourcesRequestSchema, (_req, extra) =>
      this.handle("resources/list", async () => (await this.currentCatalog()).listResources(), extra),
    );
    s.setRequestHandler(ListResourceTemplatesRequestSchema, (_req, extra) =>
      this.handle(
        "resources/templates/list",
        async () => (await this.currentCatalog()).listResourceTemplates(),
        extra,
      ),
    );
    s.setRequestHandler(ReadResourceRequestSchema, (req, extra) =>
      this.handle(
        "resources/read",
        async (target) => {
          const view = await (await this.currentCatalog()).routeUri(req.params.uri);
          target.server = view.config.name;
          const { rest } = splitMeta(req.params._meta as Meta | undefined);
          return view.upstream.request(
            "resources/read",
            { uri: req.params.uri, ...(rest ? { _meta: rest } : {}) },
            { signal: extra.signal },
          ) as never;
        },
        extra,
      ),
    );
  }

  async close(): Promise<void> {
    await this.server.close().catch(() => undefined);
  }
}
