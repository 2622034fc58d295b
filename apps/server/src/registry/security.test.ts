// Every PAT route of the registry table refuses, before doing anything: no token, a malformed one, an expired or
// revoked one, a browser session instead of a token (401), and a token without the route's scope (403).
import {
  missingScopeMessage,
  REGISTRY_ROUTES,
  type RouteSpec,
  registryPath,
  type Scope,
} from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, FakeClock, type Harness, type TestUser } from "../test-support/harness.js";

const PAT_ROUTES = (Object.entries(REGISTRY_ROUTES) as Array<[string, RouteSpec]>).filter(
  ([, s]) => s.auth === "pat",
);
const SCOPES: Scope[] = ["read", "write", "download", "purchase", "sell"];

let h: Harness;
let u: TestUser;
let cookie: string;
const clock = new FakeClock();

beforeAll(async () => {
  h = await createHarness({ clock });
  u = await h.user();
  cookie = await h.signIn(u);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

function send(spec: RouteSpec, o: { token?: string; cookie?: string; headers?: Record<string, string> }) {
  const path = registryPath(spec)
    .replace("{vendor}", "acme")
    .replace("{slug}", "x")
    .replace("{releaseId}", "r1");
  const body = spec.rawBody
    ? undefined
    : spec.body
      ? { name: "acme/x", slug: "acme", version: "1.0.0" }
      : undefined;
  return h.json<{ ok: boolean; error: { code: string; message: string } }>(spec.method.toUpperCase(), path, {
    ...o,
    ...(body ? { body } : {}),
  });
}

describe.each(PAT_ROUTES)("registry route %s", (_name, spec) => {
  it("401 without a valid token (missing, malformed, expired, revoked, a session cookie)", async () => {
    const expired = await h.pat(u, { scopes: SCOPES, expiresInDays: 1 });
    const revoked = await h.pat(u, { scopes: SCOPES });
    await h.s.tokens.revoke(u.userId, revoked.id, { actorType: "user", actorId: u.userId });
    clock.advance(2 * 86_400_000);
    for (const o of [
      {},
      { headers: { authorization: "Basic abc" } },
      { token: "mog_not_a_real_token" },
      { token: expired.token },
      { token: revoked.token },
      { cookie },
    ]) {
      const r = await send(spec, o);
      expect(r.status, JSON.stringify(o)).toBe(401);
      expect(r.body.error.code).toBe("UNAUTHORIZED");
      expect(r.res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
  });

  it("403 with every scope but the route's own", async () => {
    const others = SCOPES.filter((s) => s !== spec.scope);
    const token = (await h.pat(u, { scopes: others })).token;
    const r = await send(spec, { token });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toBe(missingScopeMessage(spec.scope as string));
  });
});

describe("the upload tier", () => {
  it("uploads count against the user's run-start windows: past them, 429 with Retry-After", async () => {
    const limited = await createHarness({ env: { MOGPLEX_RUN_START_LIMITS: "2/1m" } });
    try {
      const seller = await limited.user();
      const token = (await limited.pat(seller, { scopes: ["sell"] })).token;
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await limited.json("POST", `${registryPath(REGISTRY_ROUTES.uploadRelease)}`, {
          token,
          rawBody: "x",
          headers: { "content-type": "application/zip" },
        });
        statuses.push(r.status);
        if (r.status === 429) expect(Number(r.res.headers.get("retry-after"))).toBeGreaterThan(0);
      }
      // The first two are judged (no vendor yet → 400); the third is refused before its body is read.
      expect(statuses).toEqual([400, 400, 429]);
    } finally {
      await limited.close();
    }
  });
});
