// Cross-cutting HTTP middleware: request ids, security headers, client IP and the per-IP baseline limit.
import { PUBLIC_BASE, REGISTRY_BASE } from "@mogplex/contract";
import type { Context, MiddlewareHandler } from "hono";
import type { Clock } from "../clock.js";
import type { RateLimitStore, WindowRule } from "../limits/index.js";
import { newId } from "../security/random.js";
import { ApiError, errorResponse } from "./errors.js";
import { keyLimit } from "./steps/limits.js";
import type { AppEnv } from "./types.js";

export { clientIp } from "./steps/client-ip.js";

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestId(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const inbound = c.req.header("x-request-id");
    const id = inbound && SANE_REQUEST_ID.test(inbound) ? inbound : `req_${newId()}`;
    c.set("requestId", id);
    await next();
    c.res.headers.set("X-Request-Id", id);
  };
}

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function securityHeaders(opts: { hsts: boolean }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set("Content-Security-Policy", CSP);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set("Referrer-Policy", "strict-origin-when-cross-origin");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    h.set("Cross-Origin-Resource-Policy", "same-origin");
    if (opts.hsts) h.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    if (c.req.path.startsWith("/api/")) h.set("Cache-Control", h.get("Cache-Control") ?? "no-store");
  };
}

/**
 * Applies a sliding-window limit keyed by something on the request; fails closed when the store is down.
 * `peek` checks without recording a hit.
 */
export async function enforceLimit(
  c: Context<AppEnv>,
  store: RateLimitStore,
  key: string,
  rule: WindowRule,
  clock: Clock,
  o: { peek?: boolean } = {},
): Promise<Response | null> {
  try {
    await keyLimit(store, key, rule, clock, o);
    return null;
  } catch (err) {
    if (err instanceof ApiError) return errorResponse(c, err);
    throw err;
  }
}

export function ipLimit(
  store: RateLimitStore,
  rule: WindowRule,
  clock: Clock,
  tier: string,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const denied = await enforceLimit(c, store, `ip:${tier}:${c.get("clientIp")}`, rule, clock);
    if (denied) return denied;
    await next();
  };
}

/**
 * The per-IP baseline for every request. A request that brings a PAT to the public API (`/api/v1/mogplex/`) is
 * only peeked at here and counted by the route once its token's own limit let it through (`countIp`), so a
 * request refused by the per-PAT limit never counts against the address: one token's flood can't lock out
 * everyone else behind the same address. Anything the route doesn't count (401s, 404s) is counted afterwards.
 */
export function globalIpLimit(
  store: RateLimitStore,
  rule: WindowRule,
  clock: Clock,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = `ip:global:${c.get("clientIp")}`;
    const deferred =
      (c.req.path.startsWith(`${PUBLIC_BASE}/`) || c.req.path.startsWith(`${REGISTRY_BASE}/`)) &&
      /^Bearer\s/i.test(c.req.header("authorization") ?? "");
    if (!deferred) {
      const denied = await enforceLimit(c, store, key, rule, clock);
      if (denied) return denied;
      return next();
    }
    const over = await enforceLimit(c, store, key, rule, clock, { peek: true });
    if (over) return over;
    let settled = false;
    c.set("ipCharge", {
      count: async () => {
        if (settled) return null;
        settled = true;
        return enforceLimit(c, store, key, rule, clock);
      },
      waive: () => {
        settled = true;
      },
    });
    await next();
    if (!settled) {
      settled = true;
      // The answer is already decided; this hit only keeps the address's count honest (fail-open is fine here).
      await store.hit(key, rule, clock.now()).catch(() => undefined);
    }
  };
}

/** The route's half of `globalIpLimit`: count this request against its address now (429 when over). */
export function countIp(c: Context<AppEnv>): Promise<Response | null> {
  return c.get("ipCharge")?.count() ?? Promise.resolve(null);
}

/** This request was refused by its token's own limit: it does not count against the address. */
export function waiveIp(c: Context<AppEnv>): void {
  c.get("ipCharge")?.waive();
}
