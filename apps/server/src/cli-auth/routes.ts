// CLI sign-in HTTP surface: the JSON routes (session-only consent/approval, unauthenticated token endpoints
// answering RFC 6749/8628 errors) and their per-IP limits. The /cli-auth and /device pages are the web app's.

import { ERROR_STATUS } from "@mogplex/contract";
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { readJsonBody } from "../http/body.js";
import { ApiError, Failure } from "../http/errors.js";
import { ipLimit } from "../http/middleware.js";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import { validationMessage } from "../http/validate.js";
import type { Services } from "../services.js";
import { OAuthError } from "./service.js";
import { callbackOrThrow, denyUrl, publicBase, teamOrThrow } from "./shared-routes.js";
import { formatUserCode, VERIFIER_RE } from "./validate.js";

export const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

const TokenBody = z.object({ code: z.string().min(1).max(100), codeVerifier: z.string().max(200) }).strict();
const DeviceCodeBody = z.object({ client_id: z.string().max(100).optional() }).strict();
const DeviceTokenBody = z
  .object({
    grant_type: z.string().max(100),
    device_code: z.string().max(200),
    client_id: z.string().max(100).optional(),
  })
  .strict();

function oauthError(c: Context<AppEnv>, err: OAuthError | Failure): Response {
  if (err instanceof OAuthError) return c.json({ error: err.error, error_description: err.message }, 400);
  return c.json(
    { error: "invalid_request", error_description: err.message },
    ERROR_STATUS[err.code] as ContentfulStatusCode,
  );
}

/** Token endpoints speak OAuth: `{error, error_description}` on failure, never our envelope. */
function tokenEndpoint(
  app: Hono<AppEnv>,
  s: Services,
  path: string,
  handler: (c: Context<AppEnv>, body: unknown) => Promise<Response>,
): void {
  app.post(path, async (c) => {
    try {
      return await handler(c, await readJsonBody(c, s.config.bodyLimitBytes, { optional: true }));
    } catch (err) {
      if (err instanceof OAuthError || err instanceof Failure) return oauthError(c, err);
      throw err;
    }
  });
}

function parseOAuth<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new OAuthError("invalid_request", validationMessage(r.error));
  return r.data;
}

export function registerCliAuthRoutes(app: Hono<AppEnv>, s: Services): void {
  const signIn = (tier: string) => ipLimit(s.limiter, s.rules.signIn, s.clock, tier);
  // Polling every 5 s is 12 a minute per sign-in; allow a few concurrent ones per address (slow_down does the rest).
  const pollRule = { limit: s.rules.signIn.limit * 6, windowMs: s.rules.signIn.windowMs };
  app.post("/api/cli-auth/token", signIn("cli-auth"));
  app.post("/api/cli-auth/consent", signIn("cli-auth"));
  app.post("/api/cli-auth/deny", signIn("cli-auth"));
  app.post("/api/cli-auth/device/code", signIn("device"));
  app.post("/api/cli-auth/device/approve", signIn("device"));
  app.post("/api/cli-auth/device/deny", signIn("device"));
  app.post("/api/cli-auth/device/token", ipLimit(s.limiter, pollRule, s.clock, "device-poll"));
  // The device page's lookup tells whether a user code is pending: keep guessing slow there too.
  app.get("/api/web/device-requests/*", ipLimit(s.limiter, pollRule, s.clock, "device-lookup"));

  sessionRoute(app, s, "cliConsent", async (c, { principal, body: req }) => {
    const callback = callbackOrThrow(req.callback);
    const teamId = await teamOrThrow(s, principal.userId, req.team);
    const { redirectUrl } = await s.cliAuth.consent(
      { userId: principal.userId, teamId, callback, nonce: req.nonce, codeChallenge: req.codeChallenge },
      auditContext(c, principal),
    );
    return c.json({ redirectUrl });
  });

  sessionRoute(app, s, "cliDeny", async (c, { principal, body: req }) => {
    const callback = callbackOrThrow(req.callback);
    const teamId = await s.identity.activeTeam(principal.userId);
    await s.cliAuth.recordDenial({ userId: principal.userId, teamId, callback }, auditContext(c, principal));
    return c.json({ redirectUrl: denyUrl(callback, req.nonce) });
  });

  tokenEndpoint(app, s, "/api/cli-auth/token", async (c, body) => {
    const req = parseOAuth(TokenBody, body);
    if (!VERIFIER_RE.test(req.codeVerifier)) {
      throw new OAuthError("invalid_request", "codeVerifier must be 43-128 unreserved characters");
    }
    return c.json(await s.cliAuth.exchange(req.code, req.codeVerifier, auditContext(c, null)));
  });

  tokenEndpoint(app, s, "/api/cli-auth/device/code", async (c, body) => {
    const req = parseOAuth(DeviceCodeBody, body);
    const started = await s.cliAuth.startDevice({
      ip: c.get("clientIp") ?? null,
      userAgent: c.req.header("user-agent") ?? null,
      clientId: req.client_id ?? null,
    });
    const verificationUri = `${publicBase(c, s)}/device`;
    const userCode = formatUserCode(started.userCode);
    return c.json({
      device_code: started.deviceCode,
      user_code: userCode,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${userCode}`,
      expires_in: started.expiresIn,
      interval: started.interval,
    });
  });

  tokenEndpoint(app, s, "/api/cli-auth/device/token", async (c, body) => {
    const req = parseOAuth(DeviceTokenBody, body);
    if (req.grant_type !== DEVICE_GRANT) {
      throw new OAuthError("unsupported_grant_type", `grant_type must be ${DEVICE_GRANT}`);
    }
    const issued = await s.cliAuth.pollDevice(req.device_code, auditContext(c, null));
    const expiresIn = issued.expiresAt
      ? Math.max(0, Math.round((Date.parse(issued.expiresAt) - s.clock.now()) / 1000))
      : null;
    return c.json({
      access_token: issued.token,
      token_type: "Bearer",
      expires_in: expiresIn,
      scope: issued.scopes.join(" "),
    });
  });

  for (const [name, decision] of [
    ["approveDevice", "approve"],
    ["denyDevice", "deny"],
  ] as const) {
    sessionRoute(app, s, name, async (c, { principal, body: req }) => {
      const teamId = await teamOrThrow(s, principal.userId, req.team);
      const done = await s.cliAuth.decideDevice(
        req.userCode,
        { userId: principal.userId, teamId },
        decision === "approve",
        auditContext(c, principal),
      );
      if (!done) throw new ApiError("NOT_FOUND", "Unknown, expired or already used code");
      return c.json({ ok: true, status: decision === "approve" ? "approved" : "denied" });
    });
  }
}
