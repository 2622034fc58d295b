// Declares each public v1 route's trust decision up front and runs the checks in the fixed order:
// authenticate → per-token rate limit → scope → validate input → act. The shared steps live in steps/.
import {
  missingScopeMessage,
  PUBLIC_BASE,
  PUBLIC_ROUTES,
  type PublicRouteName,
  type RouteSpec,
} from "@mogplex/contract";
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { Services } from "../services.js";
import { ApiError, errorResponse } from "./errors.js";
import { requireIdempotencyKey } from "./idempotency.js";
import { countIp, waiveIp } from "./middleware.js";
import { jsonBody } from "./steps/body.js";
import { authenticateKey, bearer, requireAllowedAddress } from "./steps/credential.js";
import { keyLimit } from "./steps/limits.js";
import type { AppEnv, PatPrincipal } from "./types.js";
import { validationMessage } from "./validate.js";

export interface PublicInput<B> {
  principal: PatPrincipal;
  body: B;
  rawBody: unknown;
  idempotencyKey: string | undefined;
}

export type PublicHandler<B> = (c: Context<AppEnv>, input: PublicInput<B>) => Promise<Response>;

const NO_FIELDS = z.object({}).strict();

/** Key auth (a PAT as `Authorization: Bearer`), then the token's own IP allowlist. */
export async function authenticatePat(c: Context<AppEnv>, s: Services): Promise<PatPrincipal> {
  const principal = await authenticateKey({
    presented: bearer(c),
    verify: (secret) => s.tokens.authenticate(secret),
    messages: {
      missing: "Authentication required: send Authorization: Bearer <token>",
      malformed: "Malformed Authorization header: expected Bearer <token>",
      invalid: "Invalid, expired or revoked token",
    },
  });
  requireAllowedAddress(c, principal, "This token cannot be used from your network address");
  return principal;
}

/**
 * The per-token limit, then the per-IP count (see `globalIpLimit`): a request its token's limit refused is not
 * counted against the address; a failed authentication is.
 */
export async function patLimit(
  c: Context<AppEnv>,
  s: Services,
  principal: PatPrincipal,
): Promise<Response | null> {
  try {
    await keyLimit(s.limiter, `pat:${principal.tokenId}`, s.rules.pat, s.clock);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    waiveIp(c);
    return errorResponse(c, err);
  }
  return countIp(c);
}

export function publicRoute<N extends PublicRouteName>(
  app: Hono<AppEnv>,
  s: Services,
  name: N,
  handler: PublicHandler<
    (typeof PUBLIC_ROUTES)[N] extends { body: z.ZodType }
      ? z.infer<(typeof PUBLIC_ROUTES)[N]["body"]>
      : undefined
  >,
): void {
  const spec: RouteSpec = PUBLIC_ROUTES[name];
  specRoute(app, s, spec, PUBLIC_BASE + spec.path, handler as PublicHandler<unknown>);
}

/**
 * One PAT route from any route table's entry (`fullPath` OpenAPI style, e.g. the registry's base + its path):
 * the same checks in the same order as `publicRoute`.
 */
export function specRoute(
  app: Hono<AppEnv>,
  s: Services,
  spec: RouteSpec,
  fullPath: string,
  handler: PublicHandler<unknown>,
): void {
  const path = fullPath.replace(/\{(\w+)\}/g, ":$1");
  app.on(spec.method.toUpperCase(), path, async (c) => {
    try {
      const principal = await authenticatePat(c, s);
      const limited = await patLimit(c, s, principal);
      if (limited) return limited;
      if (spec.scope && !principal.scopes.includes(spec.scope)) {
        throw new ApiError("FORBIDDEN", missingScopeMessage(spec.scope));
      }
      if (spec.scope === "write" && principal.role === "viewer") {
        throw new ApiError("FORBIDDEN", "Viewers have read-only access to this team");
      }
      const idempotencyKey = spec.idempotent ? requireIdempotencyKey(c) : undefined;
      let rawBody: unknown;
      let body: unknown;
      if (spec.body) {
        rawBody = await jsonBody(c, s.config.bodyLimitBytes);
        const parsed = spec.body.safeParse(rawBody);
        if (!parsed.success) throw new ApiError("BAD_REQUEST", validationMessage(parsed.error));
        body = parsed.data;
      } else if (spec.method !== "get") {
        // Mutations without a schema take no body; anything sent must be JSON within the limit and, like
        // every other input, hold no field we don't know (an ignored field is a silent misunderstanding).
        rawBody = await jsonBody(c, s.config.bodyLimitBytes, { optional: true });
        if (rawBody !== undefined) {
          const parsed = NO_FIELDS.safeParse(rawBody);
          if (!parsed.success) throw new ApiError("BAD_REQUEST", validationMessage(parsed.error));
        }
      }
      return await handler(c, { principal, body: body as never, rawBody, idempotencyKey });
    } catch (err) {
      if (err instanceof ApiError) return errorResponse(c, err);
      throw err;
    }
  });
}
