// Preview hosts: every request whose Host names a sandbox under MOGPLEX_PREVIEW_URL (default
// <id>.preview.localhost) is answered here and nowhere else — never by the API, web app or auth routes. A hand-off
// code from the control plane buys the host's own cookie; each request re-checks it, then goes to the dev server.
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { type PreviewTemplate, previewIdOfHost } from "../../config/preview.js";
import { ApiError, errorResponse, Failure, unavailableError } from "../../http/errors.js";
import { clientIp, enforceLimit, requestId } from "../../http/middleware.js";
import type { AppEnv } from "../../http/types.js";
import type { Services } from "../../services.js";
import type { LivePreview } from "../previews.js";
import { previewCookie, previewTokens } from "./cookies.js";
import { type PreviewGrant, PreviewGrants } from "./grants.js";
import { HANDOFF_PATH, safeLandingPath } from "./paths.js";
import { proxyToDevServer } from "./proxy.js";

const CODE = /^[A-Za-z0-9]{43}$/;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A browser lands on the hand-off: a page a person can read, not JSON. */
function handoffRefused(c: Context<AppEnv>, message: string): Response {
  const html = `<!doctype html><meta charset="utf-8"><title>Preview link refused</title><h1>Preview link refused</h1><p>${escapeHtml(message)}</p>`;
  return c.html(html, 400, { "cache-control": "no-store", "referrer-policy": "no-referrer" });
}

function previewHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    // A preview is its own origin: its scripts run with no reach into the control plane, so no CSP sandbox.
    // Only its own pages may frame it (dev tools like Storybook frame themselves); no other site may
    // (clickjacking a member inside their team's preview).
    h.set("Content-Security-Policy", "frame-ancestors 'self'");
    h.set("X-Frame-Options", "SAMEORIGIN");
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Cross-Origin-Resource-Policy", "same-origin");
  };
}

/** The host's cookie grant for this sandbox (else 401) and its running preview, of the grant's team (else 404). */
export async function admitPreview(
  s: Services,
  grants: PreviewGrants,
  tokens: string[],
  sandboxId: string,
): Promise<{ grant: PreviewGrant; live: LivePreview }> {
  const grant = await grants.fromCookies(tokens, sandboxId);
  if (!grant) {
    throw new ApiError("UNAUTHORIZED", "No preview session here: open the preview from its run in Mogplex");
  }
  const live = s.sandboxes.previews.get(sandboxId);
  if (!live || live.teamId !== grant.teamId) {
    throw new ApiError("NOT_FOUND", "This sandbox has no running preview on this server process");
  }
  return { grant, live };
}

export function previewHostApp(s: Services, grants: PreviewGrants): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const t = s.config.previewTemplate;
  const idOf = (c: Context<AppEnv>) => previewIdOfUrl(c.req.url, t) ?? "";
  app.use("*", requestId());
  app.use("*", previewHeaders());
  app.use("*", clientIp({ trustProxy: s.config.trustProxy }));
  // The per-address baseline, in a bucket of its own: a dev server's page may load hundreds of modules, which
  // must not use up the member's budget on the control plane.
  app.use("*", async (c, next) => {
    const denied = await enforceLimit(c, s.limiter, `ip:preview:${c.get("clientIp")}`, s.rules.ip, s.clock);
    if (denied) return denied;
    await next();
  });

  app.get(HANDOFF_PATH, async (c) => {
    // A HEAD (a link checker, a prefetch) must not spend the code the person's own navigation needs.
    if (c.req.method !== "GET") return c.body(null, 405, { allow: "GET" });
    const code = c.req.query("code");
    const path = c.req.query("path") ?? "/";
    if (!code || !CODE.test(code) || !safeLandingPath(path)) {
      return handoffRefused(
        c,
        "This preview link is malformed. Open the preview again from its run in Mogplex.",
      );
    }
    const redeemed = await grants.redeem(code, idOf(c));
    if (!redeemed) {
      return handoffRefused(
        c,
        "This preview link was already used, has expired, or is not yours. Open the preview again from its run in Mogplex.",
      );
    }
    const maxAge = redeemed.grant.expiresAt - s.clock.now();
    c.header("Set-Cookie", previewCookie(t, redeemed.token, maxAge));
    c.header("Cache-Control", "no-store");
    c.header("Referrer-Policy", "no-referrer");
    return c.redirect(path, 302);
  });

  app.all("*", async (c) => {
    const sandboxId = idOf(c);
    const { live } = await admitPreview(s, grants, previewTokens(c.req.header("cookie"), t), sandboxId);
    return proxyToDevServer(c.req.raw, live);
  });

  app.onError((err, c) => {
    if (err instanceof Failure) return errorResponse(c, err);
    const unavailable = unavailableError(err);
    if (unavailable) return errorResponse(c, unavailable);
    s.logger.error(
      { err: { name: err.name, message: err.message }, requestId: c.get("requestId") },
      "preview host error",
    );
    return errorResponse(c, new ApiError("INTERNAL_ERROR", "Internal error"));
  });
  return app;
}

/** The one routing decision for HTTP requests and WebSocket upgrades (ws.ts): which sandbox's host, if any. */
export function previewIdOfUrl(url: string, t: PreviewTemplate | null): string | null {
  return previewIdOfHost(new URL(url).host, t);
}

/**
 * First in the control plane's chain: a request for a preview host goes to the preview app and never on. Other
 * hosts continue to the control plane's routes.
 */
export function previewHosts(s: Services): MiddlewareHandler<AppEnv> {
  const app = previewHostApp(s, new PreviewGrants(s.db.db, s.clock));
  return async (c, next) => {
    if (previewIdOfUrl(c.req.url, s.config.previewTemplate) === null) return next();
    return app.fetch(c.req.raw, c.env);
  };
}
