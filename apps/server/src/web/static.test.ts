// Serving the built web app: files by exact path, SPA fallback for client routes only, cache headers, 503.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, errorResponse } from "../http/errors.js";
import { requestId, securityHeaders } from "../http/middleware.js";
import type { AppEnv } from "../http/types.js";
import { createHarness, type Harness } from "../test-support/harness.js";
import { isServerPath, registerWebApp } from "./static.js";

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-AbC123.js"></script></head></html>';
let dist: string;

/** The app's own middleware and 404, around just the web app, so these tests don't depend on a real build. */
function appWith(distDir: string, now?: () => number): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", requestId());
  app.use("*", securityHeaders({ hsts: false }));
  app.get("/api/v1/thing", (c) => c.json({ ok: true }));
  registerWebApp(app, { distDir, now });
  app.notFound((c) => errorResponse(c, new ApiError("NOT_FOUND", "No such route")));
  return app;
}

beforeAll(() => {
  dist = mkdtempSync(join(tmpdir(), "mogplex-web-"));
  mkdirSync(join(dist, "assets"));
  writeFileSync(join(dist, "index.html"), INDEX);
  writeFileSync(join(dist, "assets", "app-AbC123.js"), "console.log(1)");
  writeFileSync(join(dist, "assets", "style-XyZ789.css"), "body{}");
  writeFileSync(join(dist, "favicon.svg"), "<svg/>");
  writeFileSync(join(dist, ".tsbuildinfo"), "{}");
});
afterAll(() => {
  rmSync(dist, { recursive: true, force: true });
});

describe("web app static serving", () => {
  const app = () => appWith(dist);

  it("serves index.html at / and for client routes, never cached, under the strict CSP", async () => {
    for (const path of ["/", "/settings/api-keys", "/runs/abc123", "/cli-auth?callback=x", "/device"]) {
      const res = await app().request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(await res.text()).toBe(INDEX);
    }
  });

  it("serves hashed assets as immutable with their type, other files revalidated", async () => {
    const js = await app().request("/assets/app-AbC123.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await js.text()).toBe("console.log(1)");
    const css = await app().request("/assets/style-XyZ789.css");
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    const icon = await app().request("/favicon.svg");
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
    expect(icon.headers.get("cache-control")).toBe("no-cache");
  });

  it("answers HEAD like GET without a body", async () => {
    const res = await app().request("/runs", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  it("never answers API, MCP, health or well-known paths with the page", async () => {
    for (const path of [
      "/api/nope",
      "/api",
      "/api/v1/mogplex/nope",
      "/mcp/x",
      "/.well-known/oauth-authorization-server",
    ]) {
      const res = await app().request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    }
    expect((await app().request("/api/v1/thing")).status).toBe(200);
    for (const p of ["/healthz", "/readyz", "/mcp", "/mcp/sse", "/api/web/runs"])
      expect(isServerPath(p), p).toBe(true);
    for (const p of ["/", "/runs", "/apiary", "/mcpx", "/healthzz"]) expect(isServerPath(p), p).toBe(false);
  });

  it("gives a real 404 for a missing file instead of the page, and never serves outside the build", async () => {
    for (const path of [
      "/assets/app-OLD.js",
      "/favicon.ico",
      "/.tsbuildinfo",
      "/../package.json",
      "/assets/..%2f..%2fpackage.json",
    ]) {
      const res = await app().request(path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toContain("<!doctype html>");
    }
    // A path with no file-like last segment is a client route: the page, never a file from elsewhere.
    for (const path of ["/%2e%2e/%2e%2e/etc/passwd", "/assets/%2e%2e/%2e%2e/etc/hostname"]) {
      const res = await app().request(path);
      expect([200, 404], path).toContain(res.status);
      const body = await res.text();
      expect(body === INDEX || body.includes("NOT_FOUND"), path).toBe(true);
    }
  });

  it("only GET: other methods on page paths are the API's 404", async () => {
    const res = await app().request("/settings/api-keys", { method: "POST" });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("answers a clear 503 page when the build is missing, and finds a build made later", async () => {
    const empty = mkdtempSync(join(tmpdir(), "mogplex-web-missing-"));
    let t = 0;
    const late = appWith(empty, () => t);
    try {
      const res = await late.request("/settings/api-keys");
      expect(res.status).toBe(503);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("retry-after")).toBe("60");
      const html = await res.text();
      expect(html).toContain("npm run build");
      expect(html).not.toMatch(/<script|style=/i);
      expect((await late.request("/api/nope")).status).toBe(404);
      writeFileSync(join(empty, "index.html"), INDEX);
      t += 5_000;
      const now = await late.request("/runs");
      expect(now.status).toBe(200);
      expect(await now.text()).toBe(INDEX);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("web app in the real app", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it("leaves the API's answers alone: unknown API routes stay JSON 404s, health stays JSON", async () => {
    const nope = await h.request("GET", "/api/web/nope");
    expect(nope.status).toBe(404);
    expect(nope.headers.get("content-type")).toMatch(/^application\/json/);
    const health = await h.json<{ ok: boolean }>("GET", "/healthz");
    expect(health.body.ok).toBe(true);
    const page = await h.request("GET", "/settings/api-keys");
    // Built (200) or not yet built (503): either way the web app's answer, as HTML.
    expect([200, 503]).toContain(page.status);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
  });
});
