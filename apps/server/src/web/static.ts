// Serves the built web app (apps/web/dist) at /, with the SPA fallback for client routes; registered last.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Context, Hono } from "hono";
import type { AppEnv } from "../http/types.js";

/** apps/web/dist, from both apps/server/src/web (tests) and apps/server/dist/web (the build). */
export const DEFAULT_WEB_DIST = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};
/** Vite names everything under assets/ by content hash, so those bytes never change under a name. */
const IMMUTABLE = "public, max-age=31536000, immutable";
const RESCAN_MS = 2_000;

/**
 * Paths the app never answers with the web app, found or not: the API, MCP, health checks, and well-known
 * discovery documents (an MCP client probing for OAuth metadata must get a 404, not a page).
 */
export function isServerPath(path: string): boolean {
  return (
    path.startsWith("/.well-known/") ||
    path === "/api" ||
    path.startsWith("/api/") ||
    path === "/mcp" ||
    path.startsWith("/mcp/") ||
    path === "/healthz" ||
    path === "/readyz"
  );
}

interface Asset {
  body: Uint8Array;
  type: string;
  cache: string;
}

/**
 * The files of the build, read once into memory (a few hundred KB). Requests are looked up in this map by
 * exact path, so no part of a URL ever reaches the file system.
 */
function scan(dir: string): Map<string, Asset> | null {
  const out = new Map<string, Asset>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name.startsWith(".")) continue;
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const ext = entry.name.slice(entry.name.lastIndexOf(".")).toLowerCase();
        const type = TYPES[ext];
        if (!type) continue;
        const path = `/${relative(dir, full).split(sep).join("/")}`;
        const cache =
          path === "/index.html" ? "no-store" : path.startsWith("/assets/") ? IMMUTABLE : "no-cache";
        out.set(path, { body: readFileSync(full), type, cache });
      }
    }
  };
  try {
    if (!statSync(join(dir, "index.html")).isFile()) return null;
    walk(dir);
  } catch {
    return null;
  }
  return out;
}

const UNAVAILABLE = [
  "<!doctype html>",
  '<html lang="en"><head><meta charset="utf-8"><title>Mogplex web app not built</title></head>',
  "<body><main><h1>The web app has not been built</h1>",
  "<p>This server is running, but the web app's files are missing. Run <code>npm run build</code> ",
  "and restart <code>mogplex serve</code>.</p>",
  "<p>The API (<code>/api/v1/mogplex</code>) and the CLI work without it.</p></main></body></html>",
].join("");

export interface WebAppOptions {
  distDir?: string;
  now?: () => number;
}

export function registerWebApp(app: Hono<AppEnv>, opts: WebAppOptions = {}): void {
  const dir = opts.distDir ?? DEFAULT_WEB_DIST;
  const now = opts.now ?? Date.now;
  let files: Map<string, Asset> | null = null;
  let lastScan = Number.NEGATIVE_INFINITY;
  const load = (): Map<string, Asset> | null => {
    // A missing build is looked for again (every couple of seconds), so building while serving works.
    if (files === null && now() - lastScan >= RESCAN_MS) {
      lastScan = now();
      files = scan(dir);
    }
    return files;
  };

  const send = (c: Context<AppEnv>, a: Asset): Response => {
    c.header("Content-Type", a.type);
    c.header("Cache-Control", a.cache);
    return c.body(a.body as Uint8Array<ArrayBuffer>, 200);
  };

  // GET only (Hono answers HEAD from it); any other method on a page path is the API's 404.
  app.get("*", (c) => {
    const path = c.req.path;
    if (isServerPath(path)) return c.notFound();
    const built = load();
    if (!built) {
      c.header("Cache-Control", "no-store");
      c.header("Retry-After", "60");
      return c.html(UNAVAILABLE, 503);
    }
    const file = built.get(path);
    if (file) return send(c, file);
    // A file-looking path that isn't in the build (an old hashed asset, a typo) is a real 404, never the
    // app's HTML served as script.
    const last = path.slice(path.lastIndexOf("/") + 1);
    if (last.includes(".")) return c.notFound();
    const index = built.get("/index.html");
    if (!index) return c.notFound();
    return send(c, index);
  });
}
