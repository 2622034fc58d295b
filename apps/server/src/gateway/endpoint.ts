// The gateway's HTTP surface: /mcp (Streamable HTTP) and /mcp/sse + /mcp/messages (old SSE clients). Every
// request first runs the steps it shares with the public API (http/steps/), in this order: Host/Origin →
// failed-auth limit per address → key auth → the key's IP allowlist → the key's own rate limit; a refusal is
// logged and answered in the JSON-RPC envelope.
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
  ErrorCode,
  isInitializeRequest,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import { ERROR_STATUS } from "@mogplex/contract";
import type { Context, Hono } from "hono";
import { ApiError, Failure } from "../http/errors.js";
import { jsonBody } from "../http/steps/body.js";
import { authenticateKey, bearerOrApiKey, requireAllowedAddress } from "../http/steps/credential.js";
import { requireHostAndOrigin } from "../http/steps/host-origin.js";
import { failedAuthLimit, keyLimit } from "../http/steps/limits.js";
import type { AppEnv } from "../http/types.js";
import { gatewayResource } from "../oauth/provider.js";
import { oauthOrigin, resourceChallenge } from "../oauth/resource.js";
import { PAT_PREFIX } from "../security/pat.js";
import type { Services } from "../services.js";
import { GATEWAY_KEY_PREFIX } from "./auth/key-format.js";
import type { GatewayPrincipal } from "./auth/keys.js";
import { patGatewayPrincipal } from "./auth/pat.js";
import type { ErrorClass } from "./errors.js";
import { LegacySseTransport } from "./legacy-sse.js";
import type { RequestLogEntry } from "./request-log.js";
import { isCancel, isFastCall } from "./session/fast-path.js";
import type { ClientGone, GatewaySession } from "./session/session.js";

const MAX_MESSAGE_BYTES = 1024 * 1024;

export const GATEWAY_PATHS = ["/mcp", "/mcp/sse", "/mcp/messages"];

/**
 * Subscribes to the client going away before its answer was written, on the Node response itself
 * (c.req.raw.signal would build a full Request); returns the unsubscribe.
 */
function onClientGone(c: Context<AppEnv>): ClientGone {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  return (gone) => {
    if (!outgoing) return () => undefined;
    const listener = () => {
      if (!outgoing.writableFinished) gone();
    };
    outgoing.once("close", listener);
    return () => outgoing.off("close", listener);
  };
}

function rpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** A step's refusal in the JSON-RPC envelope: same status and headers as the public API would send. */
function rpcRefusal(err: ApiError, code: number = ErrorCode.InvalidRequest): Response {
  return rpcError(ERROR_STATUS[err.code], code, err.message, err.headers);
}

/** The request-log row of a refused request (a limiter outage is not logged: nothing was decided). */
const REFUSAL_LOG: Partial<
  Record<ApiError["code"], { status: RequestLogEntry["status"]; errorClass: ErrorClass }>
> = {
  FORBIDDEN: { status: "denied", errorClass: "forbidden" },
  UNAUTHORIZED: { status: "unauthorized", errorClass: "unauthorized" },
  RATE_LIMITED: { status: "rate_limited", errorClass: "rate_limited" },
};

type Gate = { principal: GatewayPrincipal; authInfo: AuthInfo } | { denied: Response };
type Recorder = (
  c: Context<AppEnv>,
  e: Omit<RequestLogEntry, "requestId" | "latencyMs">,
  start: number,
) => void;

function gatewaySteps(s: Services, record: Recorder) {
  const g = s.gateway;
  /** The shared steps in order; a refusal becomes a log row and a JSON-RPC error. */
  const gate = async (c: Context<AppEnv>, start: number): Promise<Gate> => {
    let principal: GatewayPrincipal | null = null;
    try {
      requireHostAndOrigin(c, s.config);
      // Bad keys are limited per address (good keys are limited per key, below).
      const failures = failedAuthLimit(
        s.limiter,
        `ip:mcp-auth-fail:${c.get("clientIp")}`,
        s.rules.ip,
        s.clock,
      );
      await failures.check();
      // A gateway key, a Mogplex PAT (resolved uncached, as a key-like principal of its team), or an OAuth access
      // token bound to this resource (an OAuth grant is a key-like principal).
      principal = await authenticateKey({
        presented: bearerOrApiKey(c),
        verify: async (secret) =>
          secret.startsWith(GATEWAY_KEY_PREFIX)
            ? g.keys.authenticate(secret)
            : secret.startsWith(PAT_PREFIX)
              ? patGatewayPrincipal(await s.tokens.authenticate(secret), s.config.gateway.defaultRps)
              : g.oauth.authenticate(secret, gatewayResource(oauthOrigin(s.config))),
        messages: {
          missing:
            "Gateway key, Mogplex token or OAuth access token required: Authorization: Bearer <key> or X-API-Key",
          invalid: "Invalid, expired or revoked gateway key or token",
        },
        onFailure: failures.charge,
      });
      requireAllowedAddress(c, principal, "This key cannot be used from your network address");
      await keyLimit(s.limiter, `gw:${principal.keyId}`, { limit: principal.rps, windowMs: 1000 }, s.clock);
    } catch (caught) {
      if (!(caught instanceof Failure)) throw caught;
      // A PAT's refusal (viewer, read-only) is a service Failure: answered like the steps' own.
      const err = caught instanceof ApiError ? caught : new ApiError(caught.code, caught.message);
      if (err.code === "SERVICE_UNAVAILABLE") return { denied: rpcRefusal(err, ErrorCode.InternalError) };
      const log = REFUSAL_LOG[err.code] ?? { status: "denied", errorClass: "forbidden" };
      const who = { keyId: principal?.id ?? null, teamId: principal?.teamId ?? null };
      record(c, { ...who, method: `http:${c.req.method}`, ...log }, start);
      if (err.code === "UNAUTHORIZED") {
        // RFC 9728: the challenge names the resource metadata, where an MCP client starts OAuth.
        const invalid = (err.headers?.["WWW-Authenticate"] ?? "").includes("invalid_token");
        const challenge = resourceChallenge(s.config, "/mcp", invalid);
        return {
          denied: rpcError(401, ErrorCode.InvalidRequest, err.message, { "WWW-Authenticate": challenge }),
        };
      }
      return { denied: rpcRefusal(err) };
    }
    const authInfo = {
      token: "",
      clientId: principal.keyId,
      scopes: [],
      extra: { requestId: c.get("requestId") },
    };
    return { principal, authInfo };
  };

  /** The body-limit step; its refusal in the JSON-RPC envelope as a parse error. */
  const readBody = async (c: Context<AppEnv>): Promise<unknown | Response> => {
    try {
      return await jsonBody(c, MAX_MESSAGE_BYTES);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return rpcRefusal(err, ErrorCode.ParseError);
    }
  };
  return { gate, readBody };
}

const unknownSession = () => rpcError(404, ErrorCode.InvalidRequest, "Session not found");
const tooManySessions = () =>
  rpcError(503, ErrorCode.InternalError, "Too many gateway sessions", { "Retry-After": "30" });

export function registerGatewayEndpoint(app: Hono<AppEnv>, s: Services): void {
  const g = s.gateway;
  const record: Recorder = (c, e, start) =>
    g.log.record({ ...e, requestId: c.get("requestId"), latencyMs: performance.now() - start });
  const { gate, readBody } = gatewaySteps(s, record);

  /** A message for an open Streamable HTTP session: the fast path when it fits, else the SDK transport. */
  const toSession = (c: Context<AppEnv>, session: GatewaySession, body: unknown, authInfo: AuthInfo) => {
    if (!(session.transport instanceof WebStandardStreamableHTTPServerTransport)) return unknownSession();
    const version = c.req.header("mcp-protocol-version");
    const versionOk = version === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(version);
    if (versionOk && isFastCall(body) && (c.req.header("accept") ?? "").includes("application/json")) {
      return session.fastCall(body, c.get("requestId"), onClientGone(c));
    }
    if (isCancel(body) && session.cancelFast(body.params.requestId))
      return new Response(null, { status: 202 });
    return session.transport.handleRequest(c.req.raw, { parsedBody: body, authInfo });
  };

  /** `initialize` without a session: a new session and its transport. */
  const initialize = async (
    c: Context<AppEnv>,
    principal: GatewayPrincipal,
    body: unknown,
    authInfo: AuthInfo,
    start: number,
  ) => {
    const session = g.newSession(principal);
    if (!session) return tooManySessions();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => g.register(id, session),
      onsessionclosed: (id) => g.endSession(id),
      maxRequestBodySize: MAX_MESSAGE_BYTES,
    });
    session.transport = transport;
    await session.server.connect(transport);
    const res = await transport.handleRequest(c.req.raw, { parsedBody: body, authInfo });
    const outcome = res.ok
      ? { status: "ok" as const, errorClass: null }
      : { status: "error" as const, errorClass: "bad_request" as const };
    record(c, { keyId: principal.id, teamId: principal.teamId, method: "initialize", ...outcome }, start);
    return res;
  };

  app.post("/mcp", async (c) => {
    const start = performance.now();
    const gated = await gate(c, start);
    if ("denied" in gated) return gated.denied;
    const body = await readBody(c);
    if (body instanceof Response) return body;
    const sid = c.req.header("mcp-session-id");
    if (sid) {
      const session = g.session(sid, gated.principal);
      return session ? toSession(c, session, body, gated.authInfo) : unknownSession();
    }
    if (!isInitializeRequest(body)) {
      return rpcError(400, ErrorCode.InvalidRequest, "Bad Request: no session; send initialize first");
    }
    return initialize(c, gated.principal, body, gated.authInfo, start);
  });

  for (const method of ["GET", "DELETE"] as const) {
    app.on(method, "/mcp", async (c) => {
      const gated = await gate(c, performance.now());
      if ("denied" in gated) return gated.denied;
      const session = g.session(c.req.header("mcp-session-id") ?? "", gated.principal);
      if (!(session?.transport instanceof WebStandardStreamableHTTPServerTransport)) return unknownSession();
      return session.transport.handleRequest(c.req.raw, { authInfo: gated.authInfo });
    });
  }

  app.get("/mcp/sse", async (c) => {
    const start = performance.now();
    const gated = await gate(c, start);
    if ("denied" in gated) return gated.denied;
    const session = g.newSession(gated.principal);
    if (!session) return tooManySessions();
    const transport = new LegacySseTransport("/mcp/messages");
    const id = transport.sessionId;
    transport.onclose = () => void g.endSession(id);
    session.transport = transport;
    g.register(id, session);
    await session.server.connect(transport);
    const who = { keyId: gated.principal.id, teamId: gated.principal.teamId };
    record(c, { ...who, method: "sse/open", status: "ok" }, start);
    return transport.response();
  });

  app.post("/mcp/messages", async (c) => {
    const gated = await gate(c, performance.now());
    if ("denied" in gated) return gated.denied;
    const session = g.session(c.req.query("sessionId") ?? "", gated.principal);
    if (!(session?.transport instanceof LegacySseTransport)) return unknownSession();
    const body = await readBody(c);
    if (body instanceof Response) return body;
    if (!session.transport.receive(body, gated.authInfo))
      return rpcError(400, ErrorCode.InvalidRequest, "Not a JSON-RPC message");
    return new Response("Accepted", { status: 202 });
  });
}
