// The app's registered routes, and the ones that are not session routes (with why), for the completeness checks
// of the session-route table (session-table.test.ts) and of the Origin cases (session-origin.test.ts).
import type { Harness } from "./harness.js";

export interface NotSessionRoute {
  match: (method: string, path: string) => boolean;
  why: string;
  /** Browser mutations outside the table that still pass the Origin rules (Better Auth's POSTs). */
  originRules?: true;
}

export const NOT_SESSION_ROUTES: readonly NotSessionRoute[] = [
  { match: (_m, p) => p.startsWith("/api/v1/mogplex/"), why: "public API: PAT only, cookies ignored" },
  {
    match: (_m, p) => p.startsWith("/api/v1/registry/") || p === "/.well-known/mogplex-registry-key",
    why: "registry API: PAT only (the blob's signed URL and the public key need none)",
  },
  {
    match: (_m, p) => p.startsWith("/api/v1/registry/"),
    why: "registry public API: PAT only, cookies ignored (a signed blob URL is its own grant)",
  },
  { match: (_m, p) => p === "/api/v1/openapi.json", why: "the OpenAPI document, public" },
  { match: (_m, p) => p === "/healthz" || p === "/readyz", why: "liveness and readiness probes" },
  {
    match: (_m, p) => p === "/mcp" || p.startsWith("/mcp/"),
    why: "MCP gateway: gateway keys, own Host/Origin rules",
  },
  {
    match: (_m, p) => p === "/api/auth/*",
    why: "Better Auth's own routes (its POSTs pass checkOrigin first)",
    originRules: true,
  },
  {
    match: (m, p) =>
      m === "POST" &&
      ["/api/cli-auth/token", "/api/cli-auth/device/code", "/api/cli-auth/device/token"].includes(p),
    why: "CLI token endpoints: no cookie, the PKCE verifier or device code is the credential",
  },
  {
    match: (m, p) => m === "GET" && p.startsWith("/.well-known/oauth-"),
    why: "OAuth discovery documents (resource and authorization-server metadata): public",
  },
  {
    match: (m, p) =>
      m === "POST" &&
      ["/api/auth/oauth2/token", "/api/auth/oauth2/register", "/api/auth/oauth2/revoke"].includes(p),
    why: "OAuth client endpoints for MCP clients: cookies dropped; the code + PKCE verifier or refresh token is the credential",
  },
  { match: (m, p) => m === "GET" && p === "/*", why: "the web app's static pages" },
  {
    match: (m, p) => m === "GET" && (p === "/preview/:sandboxId" || p === "/preview/:sandboxId/*"),
    why: "preview hand-off: a browser navigation answered with a redirect to the preview host (session, team and code rules tested in engine/preview-access.test.ts)",
  },
];

/** `METHOD /hono/:pattern` of every route (not middleware) the app registers. */
export function registeredRoutes(h: Harness): Array<{ method: string; path: string }> {
  const out = new Map<string, { method: string; path: string }>();
  for (const r of h.app.routes) {
    if (["HEAD", "OPTIONS", "ALL"].includes(r.method)) continue;
    // Middleware registered for a method (the rate-limit tiers) takes (c, next); routes take (c).
    if (r.handler.length >= 2) continue;
    out.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  }
  return [...out.values()];
}
