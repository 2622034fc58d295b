// createApp(services) → the Hono app: middleware order, route registration and the catch-all error path.
import { buildOpenApi } from "@mogplex/contract";
import { Hono } from "hono";
import { registerAuditRoutes } from "./audit/routes.js";
import { registerCliAuthRoutes } from "./cli-auth/routes.js";
import { registerConnectionRoutes } from "./connections/routes.js";
import { GATEWAY_PATHS, registerGatewayEndpoint } from "./gateway/endpoint.js";
import { registerGatewayKeyRoutes } from "./gateway/key-routes.js";
import { ApiError, errorResponse, Failure, unavailableError } from "./http/errors.js";
import { readiness } from "./http/health.js";
import { clientIp, globalIpLimit, ipLimit, requestId, securityHeaders } from "./http/middleware.js";
import type { AppEnv } from "./http/types.js";
import { registerIdentityRoutes } from "./identity/routes.js";
import { registerLlmRoutes } from "./llm/routes.js";
import { registerModelRoutes } from "./models/routes.js";
import { registerOAuthRoutes } from "./oauth/routes.js";
import { registerPlatformMcp } from "./platform-mcp/routes.js";
import { registerRegistryRoutes } from "./registry/routes.js";
import { registerWalletRoutes } from "./registry/wallet/routes.js";
import { registerRegistryWebRoutes } from "./registry/web/routes.js";
import { registerRepoRoutes } from "./repos/routes.js";
import { registerRunToolsRoutes } from "./run-tools/routes.js";
import { registerRunRoutes } from "./runs/routes.js";
import { previewHosts } from "./sandboxes/preview-host/app.js";
import { registerPreviewRoutes } from "./sandboxes/preview-routes.js";
import { registerSandboxRoutes } from "./sandboxes/routes.js";
import type { Services } from "./services.js";
import { registerTeamRoutes } from "./teams/routes.js";
import { registerTokenRoutes } from "./tokens/routes.js";
import { registerWebRoutes } from "./web/routes.js";
import { registerWebApp } from "./web/static.js";

export function createApp(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const openapi = JSON.stringify(buildOpenApi());

  // Host routing decides first: a preview host's requests never reach the control plane's routes.
  app.use("*", previewHosts(s));
  app.use("*", requestId());
  app.use("*", securityHeaders({ hsts: s.config.publicUrl?.startsWith("https://") ?? false }));
  app.use("*", clientIp({ trustProxy: s.config.trustProxy }));
  // The gateway limits by key (each key has its own rps) and limits failed keys by address itself.
  const perIp = globalIpLimit(s.limiter, s.rules.ip, s.clock);
  // Liveness and readiness stay answerable whatever the limiter's state (orchestrators probe them often).
  const unlimited = [...GATEWAY_PATHS, "/healthz", "/readyz"];
  app.use("*", (c, next) => (unlimited.includes(c.req.path) ? next() : perIp(c, next)));
  // The sign-in tier is for requests that check a credential (password, second factor, setup or invitation
  // token); what a page load fetches (/api/setup, /api/web/session) stays on the baseline only.
  const signInTier = ipLimit(s.limiter, s.rules.signIn, s.clock, "sign-in");
  for (const path of [
    "/api/auth/sign-in/*",
    "/api/auth/two-factor/*",
    "/api/auth/change-password",
    "/api/setup",
    "/api/invitations/*",
  ]) {
    app.post(path, signInTier);
  }
  app.on(
    ["POST", "DELETE"],
    "/api/settings/api-keys/*",
    ipLimit(s.limiter, s.rules.tokenCreate, s.clock, "token-create"),
  );
  app.post("/api/settings/api-keys", ipLimit(s.limiter, s.rules.tokenCreate, s.clock, "token-create"));
  app.on(
    ["POST", "DELETE"],
    ["/api/settings/gateway-keys", "/api/settings/gateway-keys/*"],
    ipLimit(s.limiter, s.rules.tokenCreate, s.clock, "token-create"),
  );

  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/readyz", async (c) => {
    const checks = await readiness(s);
    return c.json({ ok: checks.ok, checks: checks.detail }, checks.ok ? 200 : 503);
  });
  app.get("/api/v1/openapi.json", (c) => c.body(openapi, 200, { "Content-Type": "application/json" }));

  // Before identity: the OAuth client endpoints under /api/auth are not browser POSTs (no Origin rule).
  registerOAuthRoutes(app, s);
  registerIdentityRoutes(app, s);
  registerTokenRoutes(app, s);
  registerTeamRoutes(app, s);
  registerAuditRoutes(app, s);
  registerRepoRoutes(app, s);
  registerRunRoutes(app, s);
  registerModelRoutes(app, s);
  registerLlmRoutes(app, s);
  registerRunToolsRoutes(app, s);
  registerSandboxRoutes(app, s);
  registerConnectionRoutes(app, s);
  registerGatewayKeyRoutes(app, s);
  registerGatewayEndpoint(app, s);
  registerPlatformMcp(app, s);
  registerCliAuthRoutes(app, s);
  registerWalletRoutes(app, s);
  registerRegistryRoutes(app, s);
  registerRegistryWebRoutes(app, s);
  registerWebRoutes(app, s);
  registerPreviewRoutes(app, s);
  // Last: every GET no route above claimed (except the API, MCP and health paths) is the web app.
  registerWebApp(app);

  app.notFound((c) => errorResponse(c, new ApiError("NOT_FOUND", "No such route")));
  app.onError((err, c) => {
    if (err instanceof Failure) return errorResponse(c, err);
    const unavailable = unavailableError(err);
    if (unavailable) {
      s.logger.warn({ err: { message: err.message }, requestId: c.get("requestId") }, "database unavailable");
      return errorResponse(c, unavailable);
    }
    s.logger.error(
      { err: { name: err.name, message: err.message, stack: err.stack }, requestId: c.get("requestId") },
      "unhandled error",
    );
    return errorResponse(c, new ApiError("INTERNAL_ERROR", "Internal error"));
  });
  return app;
}
