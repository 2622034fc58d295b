// The preview route: /preview/<sandboxId>/… on the control plane, proxied to the sandbox's dev server through
// its port bridge, for signed-in members of the sandbox's team only. See docs/architecture.md (Previews).
import { request as httpRequest, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { Readable, Transform } from "node:stream";
import type { Context, Hono } from "hono";
import { ApiError, errorResponse, Failure } from "../http/errors.js";
import type { AppEnv } from "../http/types.js";
import type { Services } from "../services.js";
import { previewPath } from "./previews.js";

/** Request bodies larger than this are refused (413) before the dev server sees more. */
export const PREVIEW_BODY_LIMIT = 10 * 1024 * 1024;
/** How long the dev server may take to start answering one request. */
const ANSWER_TIMEOUT_MS = 60_000;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

// Only these request headers reach the dev server: never the member's cookies or credentials.
const FORWARD = [
  "accept",
  "accept-language",
  "cache-control",
  "content-type",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "pragma",
  "range",
  "user-agent",
  "x-requested-with",
];
// Only these response headers come back: no Set-Cookie (the preview shares the control plane's host, so a
// cookie of its own could shadow the session's), no security headers (the control plane sets its own).
const RETURN = [
  "accept-ranges",
  "content-disposition",
  "content-language",
  "content-range",
  "content-type",
  "etag",
  "last-modified",
  "vary",
];

const notFound = (message = "Preview not found") => new ApiError("NOT_FOUND", message);
const notAnswering = () =>
  new ApiError("SERVICE_UNAVAILABLE", "The preview's dev server is not answering (yet); try again shortly", {
    "Retry-After": "2",
  });

/** A redirect of the dev server's own: paths it names are under its prefix here. */
export function rewriteLocation(location: string, prefix: string, port: number): string {
  if (location.startsWith("/") && !location.startsWith("//")) return `${prefix}${location.slice(1)}`;
  try {
    const u = new URL(location);
    if (["localhost", "127.0.0.1", "[::1]"].includes(u.hostname) && Number(u.port || 80) === port) {
      return `${prefix}${u.pathname.slice(1)}${u.search}${u.hash}`;
    }
  } catch {
    // relative or malformed: the browser resolves it against the preview's own URL
  }
  return location;
}

async function authorise(c: Context<AppEnv>, s: Services, sandboxId: string) {
  if (c.req.header("authorization")) {
    throw new ApiError("FORBIDDEN", "Previews open with a browser session; tokens are not accepted here");
  }
  const resolved = await s.identity.resolveSession(c.req.raw.headers);
  for (const cookie of resolved.setCookies) c.header("Set-Cookie", cookie, { append: true });
  if (!resolved.principal) throw new ApiError("UNAUTHORIZED", "Sign in to open this preview");
  if (!ID.test(sandboxId)) throw notFound();
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
  const live = s.sandboxes.previews.get(sandboxId);
  const running = row.status !== "stopped" && row.status !== "error";
  if (live && live.teamId === row.team_id && running) return live;
  if (running && row.preview_url) {
    // A worker in another process runs this sandbox (`mogplex worker`): only its own process can reach it.
    throw notFound("This preview is served only by the server process whose worker runs the sandbox");
  }
  throw notFound("This sandbox has no running preview");
}

/** Counts the request body on its way through; past the limit the stream fails (the caller answers 413). */
function capped(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit) done(new ApiError("PAYLOAD_TOO_LARGE", "Request body too large for a preview"));
      else done(null, chunk);
    },
  });
}

function forward(
  c: Context<AppEnv>,
  sock: Socket,
  target: string,
  port: number,
  prefix: string,
): Promise<IncomingMessage> {
  const headers: Record<string, string> = {
    host: `localhost:${port}`,
    "x-forwarded-prefix": prefix.slice(0, -1),
    connection: "close",
  };
  for (const name of FORWARD) {
    const v = c.req.header(name);
    if (v !== undefined) headers[name] = v;
  }
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > PREVIEW_BODY_LIMIT) {
    sock.destroy();
    return Promise.reject(new ApiError("PAYLOAD_TOO_LARGE", "Request body too large for a preview"));
  }
  const method = c.req.method;
  const hasBody = c.req.raw.body !== null && !["GET", "HEAD"].includes(method);
  if (hasBody && c.req.header("content-length")) headers["content-length"] = String(declared);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ createConnection: () => sock, method, path: target, headers });
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error("timeout")));
    req.once("response", resolve);
    req.once("error", (err) => reject(err instanceof Failure ? err : notAnswering()));
    if (!hasBody || !c.req.raw.body) {
      req.end();
      return;
    }
    const body = Readable.fromWeb(c.req.raw.body as import("node:stream/web").ReadableStream);
    const limit = capped(PREVIEW_BODY_LIMIT);
    limit.once("error", (err) => req.destroy(err));
    body.once("error", (err) => req.destroy(err));
    body.pipe(limit).pipe(req);
  });
}

export function registerPreviewRoutes(app: Hono<AppEnv>, s: Services): void {
  const handle = async (c: Context<AppEnv>): Promise<Response> => {
    try {
      const sandboxId = c.req.param("sandboxId") ?? "";
      const live = await authorise(c, s, sandboxId);
      const prefix = previewPath(sandboxId);
      const url = new URL(c.req.url);
      if (!url.pathname.startsWith(prefix)) return c.redirect(`${prefix}${url.search}`, 308);
      live.activity();
      const sock = await live.connect().catch(() => {
        throw notAnswering();
      });
      const target = `/${url.pathname.slice(prefix.length)}${url.search}`;
      const res = await forward(c, sock, target, live.port, prefix);
      // Answers depend on who asked: never kept by a shared cache.
      const headers = new Headers({ "cache-control": "no-store" });
      for (const name of RETURN) {
        const v = res.headers[name];
        if (typeof v === "string") headers.set(name, v);
      }
      const location = res.headers.location;
      if (location) headers.set("location", rewriteLocation(location, prefix, live.port));
      const status = res.statusCode ?? 502;
      const empty = c.req.method === "HEAD" || status === 204 || status === 304;
      if (empty) res.resume();
      const body = empty ? null : (Readable.toWeb(res) as unknown as ReadableStream);
      return new Response(body, { status, headers });
    } catch (err) {
      if (err instanceof Failure) return errorResponse(c, err);
      throw err;
    }
  };
  app.all("/preview/:sandboxId", handle);
  app.all("/preview/:sandboxId/*", handle);
}
