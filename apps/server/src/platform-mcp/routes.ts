// POST /api/v1/mogplex/mcp: the platform's own MCP server (stateless Streamable HTTP) behind PAT auth and limits.

import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { type PatPrincipal, PUBLIC_BASE } from "@mogplex/contract";
import type { Context, Hono } from "hono";
import { ApiError, errorResponse, unauthorized } from "../http/errors.js";
import { authenticatePat, patLimit } from "../http/public-route.js";
import { jsonBody } from "../http/steps/body.js";
import { bearer, requireAllowedAddress } from "../http/steps/credential.js";
import { requireHostAndOrigin } from "../http/steps/host-origin.js";
import { type AppEnv, auditContext } from "../http/types.js";
import { PLATFORM_RESOURCE_PATH, platformResource } from "../oauth/provider.js";
import { oauthOrigin, resourceChallenge } from "../oauth/resource.js";
import { PAT_PREFIX } from "../security/pat.js";
import type { Services } from "../services.js";
import { platformServer } from "./tools.js";

export const PLATFORM_MCP_PATH = `${PUBLIC_BASE}/mcp`;

/** A PAT, or an OAuth access token bound to this resource (its grant's scopes, like a PAT's). */
async function platformPrincipal(c: Context<AppEnv>, s: Services): Promise<PatPrincipal> {
  const presented = bearer(c);
  if (presented.kind !== "secret" || presented.secret.startsWith(PAT_PREFIX)) return authenticatePat(c, s);
  const resource = platformResource(oauthOrigin(s.config));
  const principal = await s.gateway.oauth.authenticatePlatform(presented.secret, resource);
  if (!principal) throw unauthorized("Invalid, expired or revoked token", true);
  requireAllowedAddress(c, principal, "This token cannot be used from your network address");
  return principal;
}

/** RFC 9728: a 401 names the resource metadata, where an MCP client starts OAuth. */
function withChallenge(err: ApiError, s: Services): ApiError {
  if (err.code !== "UNAUTHORIZED") return err;
  const invalid = (err.headers["WWW-Authenticate"] ?? "").includes("invalid_token");
  return new ApiError("UNAUTHORIZED", err.message, {
    "WWW-Authenticate": resourceChallenge(s.config, PLATFORM_RESOURCE_PATH, invalid),
  });
}

export function registerPlatformMcp(app: Hono<AppEnv>, s: Services): void {
  app.post(PLATFORM_MCP_PATH, async (c) => {
    try {
      // The public route's steps, in its order: authenticate → per-token limit → (scope per tool) → validate →
      // act; first the MCP endpoints' Host/Origin guard.
      requireHostAndOrigin(c, s.config);
      const principal = await platformPrincipal(c, s);
      const limited = await patLimit(c, s, principal);
      if (limited) return limited;
      const body = await jsonBody(c, s.config.bodyLimitBytes);
      const server = platformServer(s, principal, auditContext(c, principal), c.get("requestId"));
      // Stateless: a fresh transport per request (the SDK forbids reusing one), plain JSON answers.
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      await server.connect(transport);
      const res = await transport.handleRequest(c.req.raw, { parsedBody: body });
      void server.close().catch(() => undefined);
      return res;
    } catch (err) {
      if (err instanceof ApiError) return errorResponse(c, withChallenge(err, s));
      throw err;
    }
  });
  // No server-initiated stream and no sessions to end in stateless mode.
  app.on(["GET", "DELETE"], PLATFORM_MCP_PATH, (c) =>
    c.json(
      {
        jsonrpc: "2.0",
        error: { code: -32000, message: "Method not allowed: POST JSON-RPC messages" },
        id: null,
      },
      405,
      { Allow: "POST" },
    ),
  );
}
