// Headers every response carries (CSP and friends, X-Request-Id), the generic 500, and the health probes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API, dataOf, type Env, errorOf } from "../runs/test-support/api.js";
import { createHarness, type Harness } from "../test-support/harness.js";

let h: Harness;
let token: string;
let repoId: string;
const SECRET_DETAIL = "db password is hunter2 at /srv/internal/file.ts";

beforeAll(async () => {
  h = await createHarness();
  // Registered before the first request (the router is fixed once it has matched anything), and as POSTs
  // because the web app's catch-all already answers every GET registered after it.
  h.app.post("/api/v1/mogplex/__test_crash", () => {
    throw new Error(SECRET_DETAIL);
  });
  h.app.post("/__test_crash_async", async () => {
    await Promise.resolve();
    throw new TypeError(SECRET_DETAIL);
  });
  const user = await h.user();
  token = (await h.pat(user)).token;
  repoId = await h.repo(user.teamId);
});
afterAll(async () => {
  await h.close();
});

function expectSecurityHeaders(res: Response, what: string) {
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp, what).toContain("default-src 'self'");
  expect(csp, what).toMatch(/script-src 'self'(;|$)/);
  expect(csp, what).toContain("frame-ancestors 'none'");
  expect(csp, what).not.toContain("unsafe-inline");
  expect(csp, what).not.toContain("unsafe-eval");
  expect(res.headers.get("x-content-type-options"), what).toBe("nosniff");
  expect(res.headers.get("x-frame-options"), what).toBe("DENY");
  expect(res.headers.get("referrer-policy"), what).toBe("strict-origin-when-cross-origin");
  expect(res.headers.get("x-request-id"), what).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
}

describe("security headers", () => {
  it("are on every kind of response", async () => {
    const readOnly = (await h.pat(await h.user(), { scopes: ["read"] })).token;
    const cases: Array<[string, () => Promise<Response>]> = [
      ["API 200", () => h.request("GET", `${API}/repos`, { token })],
      [
        "API 202",
        () =>
          h.request("POST", `${API}/runs`, {
            token,
            body: { repoId, prompt: "x" },
            headers: { "idempotency-key": "hdr" },
          }),
      ],
      ["API 403", () => h.request("POST", `${API}/runs/x/cancel`, { token: readOnly })],
      ["API 400", () => h.request("GET", `${API}/runs?limit=abc`, { token })],
      ["API 401", () => h.request("GET", `${API}/repos`)],
      ["API 404", () => h.request("GET", `${API}/runs/nope`, { token })],
      ["unknown route 404", () => h.request("DELETE", "/no/such/route")],
      ["web app page", () => h.request("GET", "/runs")],
      ["missing asset 404", () => h.request("GET", "/assets/nope.js")],
      ["unknown API route 404", () => h.request("GET", `${API}/nothing-here`, { token })],
      ["500", () => h.request("POST", `${API}/__test_crash`, { token })],
      ["/healthz", () => h.request("GET", "/healthz")],
      ["/readyz", () => h.request("GET", "/readyz")],
      ["openapi", () => h.request("GET", "/api/v1/openapi.json")],
    ];
    for (const [what, call] of cases) expectSecurityHeaders(await call(), what);
  });

  it("are on the live event stream too", async () => {
    const started = await h.json<Env<{ run: { id: string } }>>("POST", `${API}/runs`, {
      token,
      body: { repoId, prompt: "stream me" },
      headers: { "idempotency-key": "hdr-sse" },
    });
    const runId = dataOf(started.body).run.id;
    await h.request("POST", `${API}/runs/${runId}/cancel`, { token });
    const res = await h.request("GET", `${API}/runs/${runId}/events/stream`, { token });
    expect(res.status).toBe(200);
    expectSecurityHeaders(res, "SSE");
    await res.body?.cancel();
  });

  it("mark API responses as not cacheable and send no HSTS over plain http", async () => {
    const res = await h.request("GET", `${API}/repos`, { token });
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("strict-transport-security")).toBeNull();
  });
});

describe("X-Request-Id", () => {
  it("echoes a sane inbound id, in the header and in error bodies", async () => {
    const id = "client-req.1234:abcd";
    const r = await h.json<Env<never>>("GET", `${API}/runs/nope`, { token, headers: { "x-request-id": id } });
    expect(r.res.headers.get("x-request-id")).toBe(id);
    expect(errorOf(r.body).requestId).toBe(id);
  });

  it("replaces an insane one", async () => {
    for (const bad of [
      "<script>alert(1)</script>",
      "a".repeat(500),
      "short",
      "has space in it",
      "ü-unicode-id",
    ]) {
      const res = await h.request("GET", "/healthz", { headers: { "x-request-id": bad } });
      const id = res.headers.get("x-request-id") ?? "";
      expect(id, bad).not.toBe(bad);
      expect(id, bad).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
    }
  });

  it("generates a different id for each request", async () => {
    const a = (await h.request("GET", "/healthz")).headers.get("x-request-id");
    const b = (await h.request("GET", "/healthz")).headers.get("x-request-id");
    expect(a).toBeTruthy();
    expect(a).not.toBe(b);
  });
});

describe("a handler crash", () => {
  it("answers 500 INTERNAL_ERROR with a generic message naming the request id, never the error", async () => {
    for (const path of [`${API}/__test_crash`, "/__test_crash_async"]) {
      const res = await h.request("POST", path, {
        token,
        headers: { "x-request-id": "crash-correlation-1" },
      });
      expect(res.status).toBe(500);
      const text = await res.text();
      const body = JSON.parse(text) as Env<never>;
      expect(errorOf(body)).toEqual({
        code: "INTERNAL_ERROR",
        message: "Internal error (request crash-correlation-1)",
        requestId: "crash-correlation-1",
      });
      for (const leak of ["hunter2", "/srv/internal", "Error", "at ", ".ts"])
        expect(text, path).not.toContain(leak);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    }
  });
});

describe("health probes", () => {
  it("/healthz answers 200", async () => {
    const r = await h.json("GET", "/healthz");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true });
  });

  it("/readyz answers 200 with the database ok (and Redis ok when configured)", async () => {
    const r = await h.json<{ ok: boolean; checks: Record<string, string> }>("GET", "/readyz");
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(true);
    expect(r.body.checks.database).toBe("ok");
    if (h.dialect === "postgres") expect(r.body.checks.redis).toBe("ok");
    else expect(r.body.checks.redis).toBeUndefined();
  });

  it("need no token", async () => {
    expect((await h.request("GET", "/healthz", { headers: { authorization: "Bearer junk" } })).status).toBe(
      200,
    );
  });
});
