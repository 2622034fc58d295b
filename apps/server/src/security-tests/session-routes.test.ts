// Security cases for the session-only routes: token management, team audit log and /api/me.
import { CreatedToken, ErrorBody, type ErrorCode, TokenSummary } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { BASE, createHarness, type Harness, type TestUser } from "../test-support/harness.js";

type Reply = { status: number; body: unknown; res: Response };
const KEYS = "/api/settings/api-keys";
const JSON_TYPE = { "content-type": "application/json" };

let h: Harness;
let owner: TestUser;
let ownerCookie: string;
let other: TestUser;
let otherCookie: string;
let member: TestUser;
let memberCookie: string;

beforeAll(async () => {
  h = await createHarness();
  owner = await h.user();
  other = await h.user();
  member = await h.user({ team: owner.team, role: "member" });
  ownerCookie = await h.signIn(owner);
  otherCookie = await h.signIn(other);
  memberCookie = await h.signIn(member);
});
afterAll(async () => {
  await h?.close();
});

function expectError(r: Reply, status: number, code: ErrorCode, message?: string) {
  expect({ status: r.status, body: r.body }).toMatchObject({ status, body: { ok: false, error: { code } } });
  const body = ErrorBody.parse(r.body);
  expect(Object.keys(r.body as object).sort()).toEqual(["error", "ok"]);
  if (message !== undefined) expect(body.error.message).toBe(message);
  expect(body.error.message.length).toBeGreaterThan(0);
  const requestId = r.res.headers.get("x-request-id");
  expect(requestId).toBeTruthy();
  expect(body.error.requestId).toBe(requestId);
  return body.error;
}

const keysOf = async (cookie: string) =>
  z.object({ keys: z.array(TokenSummary) }).parse((await h.json("GET", KEYS, { cookie })).body).keys;

const create = (body: unknown, cookie = ownerCookie) => h.json("POST", KEYS, { cookie, body });

/** Every session-only route with a request that succeeds for the owner's session. */
interface SessionCase {
  label: string;
  method: string;
  path: () => Promise<string>;
  body?: unknown;
}
const ROUTES: SessionCase[] = [
  { label: `POST ${KEYS}`, method: "POST", path: async () => KEYS, body: { name: "from-table" } },
  { label: `GET ${KEYS}`, method: "GET", path: async () => KEYS },
  { label: `DELETE ${KEYS}/{id}`, method: "DELETE", path: async () => `${KEYS}/${(await h.pat(owner)).id}` },
  {
    label: "GET /api/teams/{teamId}/audit-events",
    method: "GET",
    path: async () => `/api/teams/${owner.teamId}/audit-events`,
  },
  { label: "GET /api/me", method: "GET", path: async () => "/api/me" },
];
const MUTATIONS = ROUTES.filter((r) => r.method !== "GET");

describe.each(ROUTES.map((r) => [r.label, r] as const))("session route %s", (_label, route) => {
  it("200/201 with the owner's session (control)", async () => {
    const r = await h.json(route.method, await route.path(), { cookie: ownerCookie, body: route.body });
    expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
  });

  it("403 for a personal access token (token routes reject PATs), even next to a valid cookie", async () => {
    const { token } = await h.pat(owner);
    const path = await route.path();
    expectError(await h.json(route.method, path, { token, body: route.body }), 403, "FORBIDDEN");
    const both = await h.json(route.method, path, { token, cookie: ownerCookie, body: route.body });
    expectError(both, 403, "FORBIDDEN");
  });

  it("401 without a session, and with a forged session cookie", async () => {
    const path = await route.path();
    expectError(await h.json(route.method, path, { body: route.body }), 401, "UNAUTHORIZED");
    const forged = "mogplex.session_token=forged.value";
    expectError(await h.json(route.method, path, { cookie: forged, body: route.body }), 401, "UNAUTHORIZED");
  });
});

describe.each(MUTATIONS.map((r) => [r.label, r] as const))("CSRF on %s", (_label, route) => {
  it.each(["https://evil.example", "null", `${BASE}.evil.example`, "http://127.0.0.1:4101"])(
    "403 for Origin %s, and nothing changes",
    async (origin) => {
      const before = await keysOf(ownerCookie);
      const r = await h.json(route.method, await route.path(), {
        cookie: ownerCookie,
        body: route.body,
        origin,
      });
      expectError(r, 403, "FORBIDDEN");
      const after = await keysOf(ownerCookie);
      // DELETE's path minted one token on purpose; the forged request must not have revoked it.
      expect(after.length).toBe(before.length + (route.method === "DELETE" ? 1 : 0));
    },
  );

  it("403 for Sec-Fetch-Site: cross-site (or same-site) without Origin; same-origin passes", async () => {
    for (const site of ["cross-site", "same-site"]) {
      const r = await h.json(route.method, await route.path(), {
        cookie: ownerCookie,
        body: route.body,
        origin: null,
        headers: { "sec-fetch-site": site },
      });
      expectError(r, 403, "FORBIDDEN");
    }
    const ok = await h.json(route.method, await route.path(), {
      cookie: ownerCookie,
      body: route.body,
      origin: null,
      headers: { "sec-fetch-site": "same-origin" },
    });
    expect(ok.status).toBeLessThan(300);
  });
});

describe("POST /api/settings/api-keys body handling", () => {
  it("415 for JSON text sent as text/plain", async () => {
    const r = await h.json("POST", KEYS, {
      cookie: ownerCookie,
      rawBody: JSON.stringify({ name: "x" }),
      headers: { "content-type": "text/plain" },
    });
    expectError(r, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("400 for malformed JSON", async () => {
    const r = await h.json("POST", KEYS, { cookie: ownerCookie, rawBody: '{"name":', headers: JSON_TYPE });
    expectError(r, 400, "BAD_REQUEST");
  });

  it("413 for a body over 1 MiB, with and without a truthful Content-Length", async () => {
    const big = JSON.stringify({ name: "x".repeat(1024 * 1024 + 8) });
    const length = { ...JSON_TYPE, "content-length": String(Buffer.byteLength(big)) };
    for (const headers of [JSON_TYPE, length, { ...JSON_TYPE, "content-length": "12" }]) {
      expectError(
        await h.json("POST", KEYS, { cookie: ownerCookie, rawBody: big, headers }),
        413,
        "PAYLOAD_TOO_LARGE",
      );
    }
  });

  it("a session without a body is a missing name (400), not a default token", async () => {
    const before = (await keysOf(ownerCookie)).length;
    expectError(await h.json("POST", KEYS, { cookie: ownerCookie }), 400, "BAD_REQUEST");
    expect((await keysOf(ownerCookie)).length).toBe(before);
  });
});

describe("PAT creation validation (SPEC §2)", () => {
  it("201 {id, token, prefix, scopes, expiresAt}: mog_ + 32 base62, prefix = first 12, default read+write", async () => {
    const r = await create({ name: "laptop" });
    expect(r.status).toBe(201);
    const t = CreatedToken.strict().parse(r.body);
    expect(t.token).toMatch(/^mog_[A-Za-z0-9]{32}$/);
    expect(t.prefix).toBe(t.token.slice(0, 12));
    expect(t.scopes).toEqual(["read", "write"]);
    expect(t.expiresAt).toBeNull();
    const listed = (await keysOf(ownerCookie)).find((k) => k.id === t.id);
    expect(listed).toMatchObject({ name: "laptop", prefix: t.prefix, scopes: ["read", "write"] });
    expect(JSON.stringify(await keysOf(ownerCookie))).not.toContain(t.token);
  });

  it("400 for an unknown scope, naming the allowed values and never echoing the bad one", async () => {
    for (const scopes of [["zz-admin-9"], ["read", "zz-admin-9"]]) {
      const e = expectError(await create({ name: "x", scopes }), 400, "BAD_REQUEST");
      expect(e.message).toContain("read");
      expect(e.message).toContain("write");
      expect(e.message).not.toContain("zz-admin-9");
    }
  });

  it("400 for an empty scope list or a non-array", async () => {
    expectError(await create({ name: "x", scopes: [] }), 400, "BAD_REQUEST");
    expectError(await create({ name: "x", scopes: "read" }), 400, "BAD_REQUEST");
  });

  it("duplicates are removed", async () => {
    const r = await create({ name: "dup", scopes: ["read", "read"] });
    expect(r.status).toBe(201);
    expect(CreatedToken.parse(r.body).scopes).toEqual(["read"]);
  });

  it.each([
    ["empty", ""],
    ["blank", "   "],
    ["101 chars", "n".repeat(101)],
    ["not a string", 5],
  ])("400 for a name that is %s", async (_what, name) => {
    expectError(await create({ name }), 400, "BAD_REQUEST");
  });

  it("accepts a 100-char name", async () => {
    expect((await create({ name: "n".repeat(100) })).status).toBe(201);
  });

  it.each([0, -1, 1.5, "3", null])("400 for expiresInDays %j", async (expiresInDays) => {
    expectError(await create({ name: "x", expiresInDays }), 400, "BAD_REQUEST");
  });

  it("expiresInDays 1 sets an expiry one day ahead", async () => {
    const before = Date.now();
    const t = CreatedToken.parse((await create({ name: "short", expiresInDays: 1 })).body);
    const at = Date.parse(t.expiresAt ?? "");
    expect(at).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(at).toBeLessThanOrEqual(Date.now() + 86_400_000);
  });

  it("400 for an unknown field", async () => {
    const e = expectError(await create({ name: "x", role: "owner" }), 400, "BAD_REQUEST");
    expect(e.message).toContain("role");
  });
});

describe("listing and revocation", () => {
  it("lists newest first, without revoked tokens, and only the caller's", async () => {
    const older = CreatedToken.parse((await create({ name: "older" })).body);
    const newer = CreatedToken.parse((await create({ name: "newer" })).body);
    const revoked = CreatedToken.parse((await create({ name: "revoked" })).body);
    expect((await h.json("DELETE", `${KEYS}/${revoked.id}`, { cookie: ownerCookie })).status).toBe(200);
    const ids = (await keysOf(ownerCookie)).map((k) => k.id);
    expect(ids).not.toContain(revoked.id);
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));
    expect((await keysOf(otherCookie)).map((k) => k.id)).not.toContain(newer.id);
  });

  it("404 for another user's token id on DELETE, identical to an unknown id; the token keeps working", async () => {
    const victim = CreatedToken.parse((await create({ name: "victim" })).body);
    const theirs = expectError(
      await h.json("DELETE", `${KEYS}/${victim.id}`, { cookie: otherCookie }),
      404,
      "NOT_FOUND",
    );
    const unknown = expectError(
      await h.json("DELETE", `${KEYS}/nope${victim.id}`, { cookie: otherCookie }),
      404,
      "NOT_FOUND",
    );
    expect(theirs.message).toBe(unknown.message);
    const teammate = await h.json("DELETE", `${KEYS}/${victim.id}`, { cookie: memberCookie });
    expectError(teammate, 404, "NOT_FOUND");
    expect((await h.json("GET", "/api/v1/mogplex/repos", { token: victim.token })).status).toBe(200);
  });

  it("404 when revoking twice", async () => {
    const t = CreatedToken.parse((await create({ name: "twice" })).body);
    expect((await h.json("DELETE", `${KEYS}/${t.id}`, { cookie: ownerCookie })).status).toBe(200);
    expectError(await h.json("DELETE", `${KEYS}/${t.id}`, { cookie: ownerCookie }), 404, "NOT_FOUND");
  });
});

describe("team audit log", () => {
  const events = (teamId: string, cookie: string, query = "") =>
    h.json("GET", `/api/teams/${teamId}/audit-events${query}`, { cookie });

  it("403 for a member (owners and admins only)", async () => {
    expectError(await events(owner.teamId, memberCookie), 403, "FORBIDDEN");
  });

  it("404 for another team, identical to an unknown team", async () => {
    const theirs = expectError(await events(other.teamId, ownerCookie), 404, "NOT_FOUND");
    const unknown = expectError(await events("no-such-team", ownerCookie), 404, "NOT_FOUND");
    expect(theirs.message).toBe(unknown.message);
  });

  it.each(["?cursor=abc", "?cursor=-1", "?action=DROP%20TABLE"])("400 for %s", async (query) => {
    expectError(await events(owner.teamId, ownerCookie, query), 400, "BAD_REQUEST");
  });
});

describe("/api/me", () => {
  it("answers the signed-in user, never a secret", async () => {
    const r = await h.json<{ user: { id: string; email: string } }>("GET", "/api/me", {
      cookie: ownerCookie,
    });
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ id: owner.userId, email: owner.email });
    expect(JSON.stringify(r.body)).not.toMatch(/password|token_hash|secret/i);
  });
});
