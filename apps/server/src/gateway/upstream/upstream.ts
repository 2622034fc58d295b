// One pooled upstream MCP server: a long-lived SDK Client over stdio, Streamable HTTP or SSE, with cached lists.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  ErrorCode,
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Clock } from "../../clock.js";
import type { ResolvedServer } from "../../connections/service.js";
import type { Logger } from "../../logger.js";
import { GatewayError } from "../errors.js";
import type { LaunchedStdio, StdioLauncher } from "../launch/launcher.js";
import { CircuitBreaker } from "./breaker.js";
import { exitReport, type FailureReport, failureReport, LaunchError, StdioStartError } from "./failures.js";
import { RawHttpChannel, SessionLostError } from "./raw-http.js";

export type ListKind = "tools" | "resources" | "prompts";
export type Item = Record<string, unknown> & { name: string };
export type Result = Record<string, unknown>;

// Results are relayed as they are: the downstream client validates them, so the gateway doesn't re-parse.
const Passthrough = z.looseObject({});
const MAX_PAGES = 50;
/** Starting a process or a session can take longer than a call is allowed to: never less than this. */
const CONNECT_TIMEOUT_MS = 30_000;

export interface UpstreamDeps {
  launcher: StdioLauncher;
  clock: Clock;
  logger: Logger;
  timeoutMs: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
  /** The pool's stdio cap: resolves when this upstream may start a process (possibly after reaping another). */
  acquireStdio(u: Upstream): Promise<void>;
  releaseStdio(u: Upstream): void;
  /** Called when the last in-flight request ends (a waiter for a process slot may now take this one's). */
  onIdle(u: Upstream): void;
  onListChanged(u: Upstream, kind: ListKind): void;
  /** Each start's outcome, for the connections list (a failure until the next success). */
  onStatus?(u: Upstream, outcome: { ok: true } | { ok: false; message: string }): void;
}

export interface CallOptions {
  signal?: AbortSignal;
  onprogress?: (p: { progress: number; total?: number; message?: string }) => void;
}

/** The upstream lost our session (restarted, expired it): re-initialise and send again, once. */
function sessionLost(err: unknown): boolean {
  return (
    err instanceof StreamableHTTPError &&
    (err.code === 404 || (err.code === 400 && /session/i.test(err.message)))
  );
}

/** Whether the upstream itself failed (feeds the breaker and drops the client), as opposed to answering an error. */
function upstreamFault(err: unknown): boolean {
  if (err instanceof GatewayError)
    return err.errorClass === "upstream_unavailable" || err.errorClass === "upstream_timeout";
  if (err instanceof McpError)
    return err.code === ErrorCode.ConnectionClosed || err.code === ErrorCode.RequestTimeout;
  if (err instanceof Error && err.name === "AbortError") return false;
  return true; // network errors, HTTP errors, a dead process
}

export class Upstream {
  inflight = 0;
  lastUsed: number;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private launched: LaunchedStdio | undefined;
  private closed = false;
  /** Streamable HTTP upstreams: the lean path for calls that need no progress stream. */
  private readonly raw: RawHttpChannel | undefined;
  private readonly lists = new Map<string, Promise<Item[]>>();
  readonly breaker: CircuitBreaker;
  /** Why the last start failed (cleared by a success): what gateway clients are told about this server. */
  lastFailure: { at: number; reason: string } | undefined;

  constructor(
    readonly config: ResolvedServer,
    private readonly d: UpstreamDeps,
  ) {
    this.lastUsed = d.clock.now();
    this.breaker = new CircuitBreaker(d.breakerThreshold, d.breakerCooldownMs, d.clock);
    if (config.transport === "http" && config.url)
      this.raw = new RawHttpChannel(new URL(config.url), config.headers);
  }

  get isStdio(): boolean {
    return this.config.transport === "stdio";
  }

  get pid(): number | undefined {
    return this.launched?.pid;
  }

  /** Holds (or is starting) a process or session. */
  get live(): boolean {
    return this.client !== undefined || this.connecting !== undefined;
  }

  /** Starting, or serving a request: not to be stopped to make room for another. */
  get busy(): boolean {
    return this.inflight > 0 || this.connecting !== undefined;
  }

  private get timeout(): number {
    return this.config.timeoutMs ?? this.d.timeoutMs;
  }

  private get connectTimeout(): number {
    return Math.max(this.timeout, CONNECT_TIMEOUT_MS);
  }

  private ensureClient(): Promise<Client> {
    if (this.closed)
      return Promise.reject(
        new GatewayError("upstream_unavailable", ErrorCode.InternalError, "Upstream unavailable"),
      );
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<Client> {
    const client = new Client({ name: "mogplex-gateway", version: "0.1.0" }, { capabilities: {} });
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => this.listChanged("tools"));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, async () =>
      this.listChanged("resources"),
    );
    client.setNotificationHandler(PromptListChangedNotificationSchema, async () =>
      this.listChanged("prompts"),
    );
    client.onerror = (err) =>
      this.d.logger.debug({ server: this.config.id, err: { name: err.name } }, "upstream transport error");
    client.onclose = () => {
      if (this.client === client) this.drop();
    };
    try {
      if (this.isStdio) await this.connectStdio(client);
      else await this.connectHttp(client);
    } catch (err) {
      await client.close().catch(() => undefined);
      const report = this.closed ? null : failureReport(this.config, err);
      if (report) this.failed(report, "failed to start");
      else if (!this.closed)
        this.d.logger.warn(
          { server: this.config.name, serverId: this.config.id, err: { message: (err as Error).message } },
          `MCP server ${this.config.name} not started: ${(err as Error).message}`,
        );
      if (err instanceof GatewayError) throw err;
      throw new GatewayError(
        "upstream_unavailable",
        ErrorCode.InternalError,
        report
          ? `MCP server ${this.config.name} could not start (${report.reason}); its last error is on the Connections page`
          : "Upstream unavailable",
        report?.reason,
      );
    }
    if (this.closed) {
      await client.close().catch(() => undefined);
      throw new GatewayError("upstream_unavailable", ErrorCode.InternalError, "Upstream unavailable");
    }
    this.client = client;
    if (this.lastFailure) this.d.logger.info({ server: this.config.name }, "MCP server started again");
    this.lastFailure = undefined;
    this.d.onStatus?.(this, { ok: true });
    return client;
  }

  /** Logs a failure (warn, with the redacted stderr tail) and reports it for the connections list. */
  private failed(report: FailureReport, what: string): void {
    this.lastFailure = { at: this.d.clock.now(), reason: report.reason };
    this.d.logger.warn(
      { server: this.config.name, serverId: this.config.id, transport: this.config.transport, ...report.log },
      `MCP server ${this.config.name} ${what}: ${report.message}`,
    );
    this.d.onStatus?.(this, { ok: false, message: report.message });
  }

  private async connectStdio(client: Client): Promise<void> {
    const { command, args, env, egressHosts, mounts } = this.config;
    if (!command) throw new LaunchError("stdio server without a command");
    await this.d.acquireStdio(this);
    let launched: LaunchedStdio;
    try {
      launched = await this.d.launcher.launch({
        serverId: this.config.id,
        command,
        args,
        env,
        egressHosts,
        mounts,
      });
    } catch (err) {
      this.d.releaseStdio(this);
      throw err instanceof GatewayError ? err : new LaunchError((err as Error).message);
    }
    this.launched = launched;
    void launched.exited.then(() => {
      if (this.launched === launched) this.launched = undefined;
      this.d.releaseStdio(this);
    });
    try {
      await client.connect(launched.transport, { timeout: this.connectTimeout });
    } catch (err) {
      await launched.stop();
      throw new StdioStartError(err, await launched.ended);
    }
    // A server that dies later says why too (a stop we asked for is not a failure).
    void launched.ended.then((x) => {
      if (!x.stopped && !this.closed) this.failed(exitReport(this.config, x, "running"), "stopped");
    });
  }

  private async connectHttp(client: Client): Promise<void> {
    const url = new URL(this.config.url ?? "");
    const requestInit = { headers: this.config.headers };
    const sse = () => new SSEClientTransport(url, { requestInit });
    if (this.config.transport === "sse") {
      await client.connect(sse(), { timeout: this.connectTimeout });
      return;
    }
    try {
      await client.connect(new StreamableHTTPClientTransport(url, { requestInit }), {
        timeout: this.connectTimeout,
      });
    } catch (err) {
      // Servers from before Streamable HTTP answer its POST with 4xx; auth and rate-limit answers are real.
      const code = err instanceof StreamableHTTPError ? (err.code ?? 0) : 0;
      const legacy = code >= 400 && code < 500 && ![401, 403, 429].includes(code);
      if (!legacy) throw err;
      await client.close().catch(() => undefined);
      await client.connect(sse(), { timeout: this.connectTimeout });
    }
  }

  private listChanged(kind: ListKind): void {
    if (kind === "tools") this.lists.delete("tools/list");
    if (kind === "resources") {
      this.lists.delete("resources/list");
      this.lists.delete("resources/templates/list");
    }
    if (kind === "prompts") this.lists.delete("prompts/list");
    this.d.onListChanged(this, kind);
  }

  /** Forget the client (its process died or its session broke); the next call connects afresh. */
  private drop(): void {
    const client = this.client;
    this.client = undefined;
    this.lists.clear();
    // Sessions keep their name tables (a name still maps to the same server and tool); lists refill lazily.
    if (client) void client.close().catch(() => undefined);
  }

  async request(method: string, params: Result, opts: CallOptions = {}): Promise<Result> {
    if (!this.breaker.tryPass()) {
      throw new GatewayError("circuit_open", ErrorCode.InternalError, "Upstream temporarily unavailable");
    }
    this.inflight++;
    this.lastUsed = this.d.clock.now();
    try {
      for (let attempt = 0; ; attempt++) {
        const client = await this.ensureClient();
        // Once the SDK client has a Streamable HTTP session, plain calls skip its per-message machinery.
        const t = client.transport;
        const session = t instanceof StreamableHTTPClientTransport ? t.sessionId : undefined;
        try {
          const result =
            this.raw && session && !opts.onprogress
              ? await this.raw.call({
                  sessionId: session,
                  protocolVersion: (t as StreamableHTTPClientTransport).protocolVersion,
                  method,
                  params,
                  signal: opts.signal,
                  timeoutMs: this.timeout,
                })
              : await client.request({ method, params } as never, Passthrough, {
                  signal: opts.signal,
                  onprogress: opts.onprogress,
                  timeout: this.timeout,
                  resetTimeoutOnProgress: opts.onprogress !== undefined,
                });
          this.breaker.success();
          return result as Result;
        } catch (err) {
          if (attempt === 0 && (sessionLost(err) || err instanceof SessionLostError)) {
            if (this.client === client) this.drop();
            continue;
          }
          throw err;
        }
      }
    } catch (err) {
      if (opts.signal?.aborted) {
        // The client cancelled: the upstream did nothing wrong (and was told via notifications/cancelled).
        this.breaker.release();
        throw new GatewayError("cancelled", ErrorCode.RequestTimeout, "Request cancelled");
      }
      if (upstreamFault(err)) {
        this.breaker.failure();
        if (!this.isStdio || !(err instanceof McpError && err.code === ErrorCode.RequestTimeout)) this.drop();
      } else this.breaker.success();
      throw err;
    } finally {
      this.inflight--;
      this.lastUsed = this.d.clock.now();
      if (this.inflight === 0) this.d.onIdle(this);
    }
  }

  private supports(kind: "tools" | "resources" | "prompts"): boolean {
    const caps = this.client?.getServerCapabilities();
    return caps === undefined || caps[kind] !== undefined;
  }

  /** A whole list (all pages), cached until the upstream says it changed or the client is replaced. */
  list(
    method: "tools/list" | "resources/list" | "resources/templates/list" | "prompts/list",
  ): Promise<Item[]> {
    let cached = this.lists.get(method);
    if (!cached) {
      const field = {
        "tools/list": "tools",
        "resources/list": "resources",
        "resources/templates/list": "resourceTemplates",
        "prompts/list": "prompts",
      }[method];
      cached = (async () => {
        await this.ensureClient();
        if (!this.supports(method.split("/")[0] as "tools")) return [];
        const out: Item[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < MAX_PAGES; page++) {
          const r = await this.request(method, cursor ? { cursor } : {});
          const items = r[field];
          if (Array.isArray(items)) out.push(...(items.filter((i) => typeof i?.name === "string") as Item[]));
          cursor = typeof r.nextCursor === "string" ? r.nextCursor : undefined;
          if (!cursor) break;
        }
        return out;
      })();
      this.lists.set(method, cached);
      cached.catch(() => {
        if (this.lists.get(method) === cached) this.lists.delete(method);
      });
    }
    return cached;
  }

  /** Ends the session (DELETE for HTTP) or stops the process (SIGTERM → SIGKILL), and waits for it. */
  async close(): Promise<void> {
    this.closed = true;
    this.raw?.close();
    const pending = this.connecting;
    if (pending) await pending.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    this.lists.clear();
    if (client) {
      const t = client.transport as Transport & { terminateSession?: () => Promise<void> };
      if (t instanceof StreamableHTTPClientTransport) {
        // Polite, but never allowed to hold up a shutdown behind an unresponsive upstream.
        const bounded = new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref());
        await Promise.race([t.terminateSession().catch(() => undefined), bounded]);
      }
      await client.close().catch(() => undefined);
    }
    await this.launched?.stop();
  }

  /** Closes an idle process or session without retiring the upstream (the next call reconnects). */
  async idle(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.lists.clear();
    if (client) await client.close().catch(() => undefined);
    await this.launched?.stop();
  }
}
