// The gateway's HTTP surface: /mcp (Streamable HTTP) and /mcp/sse + /mcp/messages (old SSE clients).
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
  ErrorCode,
  isInitializeRequest,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import type { Context, Hono } from "hono";
import { readJsonBody } from "../http/body.js";
import { ApiError } from "../http/errors.js";
import type { AppEnv } from "../http/types.js";
import { LimiterUnavailableError, retryAfterSeconds } from "../limits/index.js";
import type { Services } from "../services.js";
import type { GatewayPrincipal } from "./auth/keys.js";
import { LegacySseTransport } from "./legacy-sse.js";
import { hostAllowed, originAllowed } from "./origin.js";
import type { RequestLogEntry } from "./request-log.js";
import type { ClientGone } from "./session/session.js";

const MAX_MESSAGE_BYTES = 1024 * 1024;
const BEARER = /^Bearer ([^\s]+)$/i;

export const GATEWAY_PATHS = ["/mcp", "/mcp/sse", "/mcp/messages"];

type FastCall = {
  jsonrpc: "2.0";
  id: string | number;
  method: "tools/call";
  params: { name: string } & Record<string, unknown>;
};

/** A single tools/call that wants no progress: the only shape the fast path takes. */
function isFastCall(m: unknown): m is FastCall {
  if (typeof m !== "object" || m === null || Array.isArray(m)) return false;
  const r = m as Record<string, unknown>;
  const params = r.params as Record<string, unknown> | undefined;
  const meta = params?._meta as Record<string, unknown> | undefined;
  return (
    r.jsonrpc === "2.0" &&
    r.method === "tools/call" &&
    (typeof r.id === "string" || typeof r.id === "number") &&
    typeof params === "object" &&
    params !== null &&
    typeof params.name === "string" &&
    (params.arguments === undefined || (typeof params.arguments === "object" && params.arguments !== null)) &&
    meta?.progressToken === undefined
  );
}

function isCancel(m: unknown): m is { params: { requestId: unknown } } {
  const r = m as { jsonrpc?: unknown; method?: unknown; params?: { requestId?: unknown } } | null;
  return r?.jsonrpc === "2.0" && r.method === "notifications/cancelled" && r.params?.requestId !== undefined;
}

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

type Gate = { principal: GatewayPrincipal; authInfo: AuthInfo } | { denied: Response };

export function registerGatewayEndpoint(app: Hono<AppEnv>, s: Services): void {
  const g = s.gateway;

  const record = (c: Context<AppEnv>, e: Omit<RequestLogEntry, "requestId" | "latencyMs">, start: number) =>
    g.log.record({ ...e, requestId: c.get("requestId"), latencyMs: performance.now() - start });

  /** Origin/Host, then the key (signature → cache → Argon2id), then the key's own rate limit. */
  const gate = async (c: Context<AppEnv>, start: number): Promise<Gate> => {
    const method = `http:${c.req.method}`;
    if (!hostAllowed(c.req.header("host"), s.config) || !originAllowed(c.req.header("origin"), s.config)) {
      record(c, { keyId: null, teamId: null, method, status: "denied", errorClass: "forbidden" }, start);
      return { denied: rpcError(403, ErrorCode.InvalidRequest, "Origin or Host not allowed") };
    }
    const ipKey = `ip:mcp-auth-fail:${c.get("clientIp")}`;
    const authz = c.req.header("authorization");
    const presented = authz ? BEARER.exec(authz)?.[1] : c.req.header("x-api-key");
    try {
      // Bad keys are limited per address (good keys are limited per key, below).
      const ip = await s.limiter.peek(ipKey, s.rules.ip, s.clock.now());
      if (!ip.allowed) {
        const secs = retryAfterSeconds(ip);
        record(
          c,
          { keyId: null, teamId: null, method, status: "rate_limited", errorClass: "rate_limited" },
          start,
        );
        return {
          denied: rpcError(429, ErrorCode.InvalidRequest, `Rate limit exceeded. Retry after ${secs}s.`, {
            "Retry-After": String(secs),
          }),
        };
      }
      const principal = presented ? await g.keys.authenticate(presented) : null;
      if (!principal) {
        await s.limiter.hit(ipKey, s.rules.ip, s.clock.now());
        record(
          c,
          { keyId: null, teamId: null, method, status: "unauthorized", errorClass: "unauthorized" },
          start,
        );
        return {
          denied: rpcError(
            401,
            ErrorCode.InvalidRequest,
            presented
              ? "Invalid, expired or revoked gateway key"
              : "Gateway key required: Authorization: Bearer <key> or X-API-Key",
            {
              "WWW-Authenticate": presented ? 'Bearer error="invalid_token"' : "Bearer",
            },
          ),
        };
      }
      if (principal.ipAllowlist && !principal.ipAllowlist.allows(c.get("clientIp"))) {
        record(
          c,
          {
            keyId: principal.id,
            teamId: principal.teamId,
            method,
            status: "denied",
            errorClass: "forbidden",
          },
          start,
        );
        return {
          denied: rpcError(
            403,
            ErrorCode.InvalidRequest,
            "This key cannot be used from your network address",
          ),
        };
      }
      const d = await s.limiter.hit(
        `gw:${principal.keyId}`,
        { limit: principal.rps, windowMs: 1000 },
        s.clock.now(),
      );
      if (!d.allowed) {
        const secs = retryAfterSeconds(d);
        record(
          c,
          {
            keyId: principal.id,
            teamId: principal.teamId,
            method,
            status: "rate_limited",
            errorClass: "rate_limited",
          },
          start,
        );
        return {
          denied: rpcError(429, ErrorCode.InvalidRequest, `Rate limit exceeded. Retry after ${secs}s.`, {
            "Retry-After": String(secs),
          }),
        };
      }
      return {
        principal,
        authInfo: {
          token: "",
          clientId: principal.keyId,
          scopes: [],
          extra: { requestId: c.get("requestId") },
        },
      };
    } catch (err) {
      if (err instanceof LimiterUnavailableError) {
        return {
          denied: rpcError(503, ErrorCode.InternalError, "Rate limiter unavailable; try again later", {
            "Retry-After": "60",
          }),
        };
      }
      throw err;
    }
  };

  const readBody = async (c: Context<AppEnv>): Promise<unknown | Response> => {
    try {
      // With a declared length within the limit (the parser never delivers more than declared), read the
      // buffered body straight from the socket: building a full Web Request per call costs more than the
      // rest of the hot path. Anything else goes through the streaming reader that enforces the limit.
      const declared = c.req.header("content-length");
      const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
      if (
        declared &&
        /^\d+$/.test(declared) &&
        Number(declared) > 0 &&
        Number(declared) <= MAX_MESSAGE_BYTES &&
        type === "application/json"
      ) {
        try {
          return JSON.parse(await c.req.raw.text()) as unknown;
        } catch {
          return rpcError(400, ErrorCode.ParseError, "Request body is not valid JSON");
        }
      }
      return await readJsonBody(c, MAX_MESSAGE_BYTES);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const status =
        err.code === "PAYLOAD_TOO_LARGE" ? 413 : err.code === "UNSUPPORTED_MEDIA_TYPE" ? 415 : 400;
      return rpcError(status, ErrorCode.ParseError, err.message);
    }
  };

  const unknownSession = () => rpcError(404, ErrorCode.InvalidRequest, "Session not found");

  app.post("/mcp", async (c) => {
    const start = performance.now();
    const gated = await gate(c, start);
    if ("denied" in gated) return gated.denied;
    const { principal, authInfo } = gated;
    const body = await readBody(c);
    if (body instanceof Response) return body;
    const sid = c.req.header("mcp-session-id");
    if (sid) {
      const session = g.session(sid, principal);
      if (!(session?.transport instanceof WebStandardStreamableHTTPServerTransport)) return unknownSession();
      const version = c.req.header("mcp-protocol-version");
      const versionOk = version === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(version);
      if (versionOk && isFastCall(body) && (c.req.header("accept") ?? "").includes("application/json")) {
        return session.fastCall(body, c.get("requestId"), onClientGone(c));
      }
      if (isCancel(body) && session.cancelFast(body.params.requestId))
        return new Response(null, { status: 202 });
      return session.transport.handleRequest(c.req.raw, { parsedBody: body, authInfo });
    }
    if (!isInitializeRequest(body)) {
      return rpcError(400, ErrorCode.InvalidRequest, "Bad Request: no session; send initialize first");
    }
    const session = g.newSession(principal);
    if (!session)
      return rpcError(503, ErrorCode.InternalError, "Too many gateway sessions", { "Retry-After": "30" });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => g.register(id, session),
      onsessionclosed: (id) => g.endSession(id),
      maxRequestBodySize: MAX_MESSAGE_BYTES,
    });
    session.transport = transport;
    await session.server.connect(transport);
    const res = await transport.handleRequest(c.req.raw, { parsedBody: body, authInfo });
    record(
      c,
      {
        keyId: principal.id,
        teamId: principal.teamId,
        method: "initialize",
        status: res.ok ? "ok" : "error",
        errorClass: res.ok ? null : "bad_request",
      },
      start,
    );
    return res;
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
    if (!session)
      return rpcError(503, ErrorCode.InternalError, "Too many gateway sessions", { "Retry-After": "30" });
    const transport = new LegacySseTransport("/mcp/messages");
    const id = transport.sessionId;
    transport.onclose = () => void g.endSession(id);
    session.transport = transport;
    g.register(id, session);
    await session.server.connect(transport);
    record(
      c,
      { keyId: gated.principal.id, teamId: gated.principal.teamId, method: "sse/open", status: "ok" },
      start,
    );
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
