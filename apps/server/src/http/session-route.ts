// Session-only routes (the web app's backend): cookie auth, CSRF origin check (origin.ts), JSON bodies, PATs refused.
import type { Context, Hono } from "hono";
import type { Services } from "../services.js";
import { readJsonBody } from "./body.js";
import { ApiError, errorResponse, unauthorized } from "./errors.js";
import { enforceLimit } from "./middleware.js";
import { requireSameOrigin } from "./origin.js";
import type { AppEnv, SessionPrincipal } from "./types.js";

export interface SessionInput {
  principal: SessionPrincipal;
  body: unknown;
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface SessionRouteOptions {
  /** Extra per-user limit tier for expensive or sensitive actions. */
  limit?: "tokenCreate";
}

export function sessionRoute(
  app: Hono<AppEnv>,
  s: Services,
  method: Method,
  path: string,
  handler: (c: Context<AppEnv>, input: SessionInput) => Promise<Response>,
  opts: SessionRouteOptions = {},
): void {
  app.on(method, path, async (c) => {
    try {
      if (/^Bearer\s/i.test(c.req.header("authorization") ?? "")) {
        throw new ApiError(
          "FORBIDDEN",
          "This route requires a browser session; personal access tokens are not accepted here",
        );
      }
      const { principal, setCookies } = await s.identity.resolveSession(c.req.raw.headers);
      for (const cookie of setCookies) c.header("Set-Cookie", cookie, { append: true });
      if (!principal) throw unauthorized("Sign in required");
      c.set("session", principal);
      if (method !== "GET") requireSameOrigin(c, s.config);
      if (opts.limit) {
        const limited = await enforceLimit(
          c,
          s.limiter,
          `user:${opts.limit}:${principal.userId}`,
          s.rules[opts.limit],
          s.clock,
        );
        if (limited) return limited;
      }
      const body =
        method === "POST" || method === "PATCH"
          ? await readJsonBody(c, s.config.bodyLimitBytes, { optional: true })
          : undefined;
      return await handler(c, { principal, body });
    } catch (err) {
      if (err instanceof ApiError) return errorResponse(c, err);
      throw err;
    }
  });
}
