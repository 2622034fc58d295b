// Session-only routes (the web app's backend): cookie auth, CSRF origin check, JSON bodies, PATs refused.
import type { Context, Hono } from "hono";
import type { Services } from "../services.js";
import { readJsonBody } from "./body.js";
import { ApiError, errorResponse, unauthorized } from "./errors.js";
import { enforceLimit } from "./middleware.js";
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

/** Browsers always send Origin on cross-site mutations; a foreign one is a forged request. */
export function checkOrigin(c: Context<AppEnv>, allowed: readonly string[]): void {
  const origin = c.req.header("origin");
  if (origin !== undefined) {
    if (!allowed.includes(origin)) throw new ApiError("FORBIDDEN", "Cross-origin request refused");
    return;
  }
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    throw new ApiError("FORBIDDEN", "Cross-origin request refused");
  }
}

export function allowedOrigins(c: Context<AppEnv>, s: Services): string[] {
  const out = new Set<string>();
  if (s.config.publicUrl) out.add(new URL(s.config.publicUrl).origin);
  const host = c.req.header("host");
  if (host) out.add(`${new URL(c.req.url).protocol}//${host}`);
  return [...out];
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
      if (method !== "GET") checkOrigin(c, allowedOrigins(c, s));
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
