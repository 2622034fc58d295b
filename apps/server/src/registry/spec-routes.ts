// Declares each registry route from the contract's REGISTRY_ROUTES and runs the public API's checks in order:
// PAT → per-token limit → scope (a viewer cannot sell) → upload tier → body (JSON, or raw zip) → query → handler.
// Routes with auth "none" (the signed blob, the well-known key) go straight to the query and handler.
import {
  missingScopeMessage,
  type PatPrincipal,
  REGISTRY_ROUTES,
  type RegistryRouteName,
  type RouteSpec,
  registryPath,
} from "@mogplex/contract";
import type { Context, Hono } from "hono";
import type { z } from "zod";
import { ApiError, errorResponse } from "../http/errors.js";
import { authenticatePat, patLimit } from "../http/public-route.js";
import { jsonBody } from "../http/steps/body.js";
import type { AppEnv } from "../http/types.js";
import { parseOrThrow } from "../http/validate.js";
import type { Services } from "../services.js";
import { uploadTier, zipBody } from "./upload-body.js";
import { MAX_UPLOAD_BYTES } from "./uploads.js";

type Spec<N extends RegistryRouteName> = (typeof REGISTRY_ROUTES)[N];
type Infer<S, K extends string> = S extends Record<K, z.ZodType> ? z.infer<S[K]> : undefined;

export interface RegistryInput<N extends RegistryRouteName> {
  principal: Spec<N>["auth"] extends "pat" ? PatPrincipal : undefined;
  body: Infer<Spec<N>, "body">;
  query: Infer<Spec<N>, "query">;
  /** The raw upload, for a route with `rawBody`. */
  raw: Buffer | undefined;
}

export function registryRoute<N extends RegistryRouteName>(
  app: Hono<AppEnv>,
  s: Services,
  name: N,
  handler: (c: Context<AppEnv>, input: RegistryInput<N>) => Promise<Response>,
): void {
  const spec: RouteSpec = REGISTRY_ROUTES[name];
  const path = registryPath(spec).replace(/\{(\w+)\}/g, ":$1");
  app.on(spec.method.toUpperCase(), path, async (c) => {
    try {
      let principal: PatPrincipal | undefined;
      if (spec.auth === "pat") {
        principal = await authenticatePat(c, s);
        const limited = await patLimit(c, s, principal);
        if (limited) return limited;
        if (spec.scope && !principal.scopes.includes(spec.scope))
          throw new ApiError("FORBIDDEN", missingScopeMessage(spec.scope));
        if (spec.scope === "sell" && principal.role === "viewer")
          throw new ApiError("FORBIDDEN", "Viewers have read-only access to this team");
        if (spec.limit === "upload") await uploadTier(s, principal.userId);
      }
      let body: unknown;
      let raw: Buffer | undefined;
      if (spec.body) body = parseOrThrow(spec.body, await jsonBody(c, s.config.bodyLimitBytes));
      if (spec.rawBody) raw = await zipBody(c, spec.rawBody, MAX_UPLOAD_BYTES);
      const query = spec.query ? parseOrThrow(spec.query, c.req.query()) : undefined;
      return await handler(c, { principal, body, query, raw } as RegistryInput<N>);
    } catch (err) {
      if (err instanceof ApiError) return errorResponse(c, err);
      throw err;
    }
  });
}
