// The control plane's preview route: /preview/<sandboxId>/[path] checks the member's session and team, then hands
// their browser to the sandbox's own preview origin with a single-use code (sandboxes/preview-host/). It serves no
// preview content itself. See docs/architecture.md (Previews).
import type { Context, Hono } from "hono";
import { HOST_ID, previewOrigin } from "../config/preview.js";
import { ApiError, errorResponse, Failure } from "../http/errors.js";
import type { AppEnv } from "../http/types.js";
import type { Services } from "../services.js";
import { PreviewGrants } from "./preview-host/grants.js";
import { HANDOFF_PATH, safeLandingPath } from "./preview-host/paths.js";
import { previewPath } from "./previews.js";

const notFound = (message = "Preview not found") => new ApiError("NOT_FOUND", message);

/** The member's session, the sandbox's team and its running preview: else 401, 403 (a token), or one 404. */
async function authorise(c: Context<AppEnv>, s: Services, sandboxId: string) {
  if (c.req.header("authorization")) {
    throw new ApiError("FORBIDDEN", "Previews open with a browser session; tokens are not accepted here");
  }
  const resolved = await s.identity.resolveSession(c.req.raw.headers);
  for (const cookie of resolved.setCookies) c.header("Set-Cookie", cookie, { append: true });
  if (!resolved.principal) throw new ApiError("UNAUTHORIZED", "Sign in to open this preview");
  if (!HOST_ID.test(sandboxId)) throw notFound();
  const row = await s.db.db
    .selectFrom("sandboxes")
    .select(["team_id", "status", "preview_url"])
    .where("id", "=", sandboxId)
    .executeTakeFirst();
  // Not a member of its team, or no such sandbox: the same 404, so outsiders learn nothing.
  if (!row) throw notFound();
  await s.teams.roleOf(resolved.principal.userId, row.team_id).catch(() => {
    throw notFound();
  });
  if (row.status === "stopped" || row.status === "error" || !row.preview_url) {
    throw notFound("This sandbox has no running preview");
  }
  return resolved.principal;
}

export function registerPreviewRoutes(app: Hono<AppEnv>, s: Services): void {
  const grants = new PreviewGrants(s.db.db, s.clock);
  const handle = async (c: Context<AppEnv>): Promise<Response> => {
    try {
      const sandboxId = c.req.param("sandboxId") ?? "";
      const who = await authorise(c, s, sandboxId);
      const url = new URL(c.req.url);
      const origin = previewOrigin(sandboxId, s.config.previewTemplate, url);
      if (!origin) {
        throw new ApiError(
          "SERVICE_UNAVAILABLE",
          "Previews need their own address on this server: the operator sets MOGPLEX_PREVIEW_URL (see docs/operations.md)",
        );
      }
      const path = `/${url.pathname.slice(previewPath(sandboxId).length)}${url.search}`;
      if (!safeLandingPath(path)) throw new ApiError("BAD_REQUEST", "This preview path cannot be opened");
      const code = await grants.mint(who.userId, who.sessionId, sandboxId);
      const to = new URL(HANDOFF_PATH, origin);
      to.searchParams.set("code", code);
      to.searchParams.set("path", path);
      c.header("Cache-Control", "no-store");
      c.header("Referrer-Policy", "no-referrer");
      return c.redirect(to.toString(), 302);
    } catch (err) {
      if (err instanceof Failure) return errorResponse(c, err);
      throw err;
    }
  };
  app.get("/preview/:sandboxId", handle);
  app.get("/preview/:sandboxId/*", handle);
}
