// PAT management on the session-only /api/settings/api-keys routes: mint once, hash at rest, list, revoke.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRows, dumpDatabase } from "../identity/test-support/db.js";
import { sha256Hex } from "../security/random.js";
import { createHarness, FakeClock, type Harness, type TestUser } from "../test-support/harness.js";

// A movable clock, so "newest first" never depends on two creates landing in different milliseconds.
const clock = new FakeClock();
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ clock });
});
afterAll(async () => {
  await h.close();
});

interface Created {
  id: string;
  token: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
}
interface Summary {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

const create = (cookie: string, body: unknown, hh: Harness = h) =>
  hh.json<Created & { error: { code: string; message: string } }>("POST", "/api/settings/api-keys", {
    cookie,
    body,
  });
const list = async (cookie: string, hh: Harness = h) =>
  (await hh.json<{ keys: Summary[] }>("GET", "/api/settings/api-keys", { cookie })).body.keys;
const repos = (token: string, hh: Harness = h) => hh.json("GET", "/api/v1/mogplex/repos", { token });

async function signedIn(): Promise<{ u: TestUser; cookie: string }> {
  const u = await h.user();
  return { u, cookie: await h.signIn(u) };
}

describe("creating a PAT", () => {
  it("returns the token once: mog_ + 32 base62, 12-char prefix, default scopes, no expiry", async () => {
    const { cookie } = await signedIn();
    const r = await create(cookie, { name: "laptop" });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(["expiresAt", "id", "prefix", "scopes", "token"]);
    expect(r.body.token).toMatch(/^mog_[0-9A-Za-z]{32}$/);
    expect(r.body.prefix).toBe(r.body.token.slice(0, 12));
    expect(r.body.scopes).toEqual(["read", "write"]);
    expect(r.body.expiresAt).toBeNull();
    expect((await repos(r.body.token)).status).toBe(200);
  });

  it("stores only the SHA-256 hex of the token", async () => {
    const { cookie } = await signedIn();
    const r = await create(cookie, { name: "ci" });
    const row = await h.s.db.db
      .selectFrom("personal_access_tokens")
      .selectAll()
      .where("id", "=", r.body.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(sha256Hex(r.body.token));
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.prefix).toBe(r.body.prefix);
    const dump = await dumpDatabase(h);
    expect(dump).not.toContain(r.body.token);
    expect(dump).not.toContain(r.body.token.slice(4));
  });

  it("validates scopes, name and expiry", async () => {
    const { cookie } = await signedIn();
    const bad = await create(cookie, { name: "x", scopes: ["read", "sudo-everything"] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("read, write");
    expect(bad.body.error.message).not.toContain("sudo-everything");
    expect((await create(cookie, { name: "x", scopes: [] })).status).toBe(400);
    expect((await create(cookie, { name: "" })).status).toBe(400);
    expect((await create(cookie, { name: "n".repeat(101) })).status).toBe(400);
    expect((await create(cookie, {})).status).toBe(400);
    for (const expiresInDays of [0, -1, 1.5, "7"])
      expect((await create(cookie, { name: "x", expiresInDays })).status).toBe(400);
    expect((await create(cookie, { name: "x", extra: true })).status).toBe(400);
    const dup = await create(cookie, { name: "x", scopes: ["read", "read"] });
    expect(dup.status).toBe(201);
    expect(dup.body.scopes).toEqual(["read"]);
    expect((await create(cookie, { name: "n".repeat(100) })).status).toBe(201);
  });

  it("sets expiresAt from expiresInDays", async () => {
    const { cookie } = await signedIn();
    const r = await create(cookie, { name: "short", expiresInDays: 30 });
    expect(new Date(r.body.expiresAt as string).getTime()).toBe(clock.now() + 30 * 86_400_000);
  });

  it("cannot be done with a PAT, nor from a foreign origin, nor signed out", async () => {
    const { u, cookie } = await signedIn();
    const { token } = await h.pat(u);
    const viaPat = await h.json("POST", "/api/settings/api-keys", { token, body: { name: "escalate" } });
    expect(viaPat.status).toBe(403);
    expect((await h.json("GET", "/api/settings/api-keys", { token })).status).toBe(403);
    const foreign = await h.json("POST", "/api/settings/api-keys", {
      cookie,
      body: { name: "csrf" },
      origin: "https://evil.example",
    });
    expect(foreign.status).toBe(403);
    expect((await h.json("POST", "/api/settings/api-keys", { body: { name: "anon" } })).status).toBe(401);
    expect((await list(cookie)).map((k) => k.name)).toEqual(["test"]);
  });

  it("binds the token to the team picked by x-mogplex-team, only among the caller's teams", async () => {
    const { u, cookie } = await signedIn();
    const second = await h.user({ team: "second-team-keys", role: "member" });
    await h.s.teams.addMember(h.s.db.db, second.teamId, u.userId, "member", {
      actorType: "system",
      actorId: null,
    });
    const outsider = await h.user();
    const pick = (team: string) =>
      h.json<Created>("POST", "/api/settings/api-keys", {
        cookie,
        body: { name: team },
        headers: { "x-mogplex-team": team },
      });
    const r = await pick("second-team-keys");
    expect(r.status).toBe(201);
    const row = await h.s.db.db
      .selectFrom("personal_access_tokens")
      .select("team_id")
      .where("id", "=", r.body.id)
      .executeTakeFirstOrThrow();
    expect(row.team_id).toBe(second.teamId);
    // One rule for every X-Mogplex-Team route (the session table): a team you are not in is not found.
    const foreign = await pick(outsider.teamId);
    expect(foreign.status).toBe(404);
    const rows = await h.s.db.db
      .selectFrom("personal_access_tokens")
      .select("team_id")
      .where("user_id", "=", u.userId)
      .execute();
    expect(rows.map((x) => x.team_id)).not.toContain(outsider.teamId);
  });

  it("is audited without the token", async () => {
    const { u, cookie } = await signedIn();
    const r = await create(cookie, { name: "audited", scopes: ["read"] });
    const row = (await auditRows(h, "token.created")).find((a) => a.target_id === r.body.id);
    expect(row).toMatchObject({ actor_id: u.userId, team_id: u.teamId, auth_source: "session" });
    expect(row?.payload).toMatchObject({ name: "audited", prefix: r.body.prefix, scopes: ["read"] });
    const text = JSON.stringify(await auditRows(h));
    expect(text).not.toContain(r.body.token);
    expect(text).not.toContain(sha256Hex(r.body.token));
  });
});

describe("listing and revoking PATs", () => {
  it("lists the caller's live keys newest first, without token or hash", async () => {
    const { u, cookie } = await signedIn();
    const other = await signedIn();
    await create(other.cookie, { name: "not mine" });
    const ids: string[] = [];
    for (const name of ["one", "two", "three"]) {
      clock.advance(1000);
      ids.push((await create(cookie, { name })).body.id);
    }
    const keys = await list(cookie);
    expect(keys.map((k) => k.id)).toEqual([...ids].reverse());
    for (const k of keys) {
      expect(Object.keys(k).sort()).toEqual([
        "createdAt",
        "expiresAt",
        "id",
        "ipAllowlist",
        "lastUsedAt",
        "name",
        "prefix",
        "scopes",
      ]);
    }
    const rows = await h.s.db.db
      .selectFrom("personal_access_tokens")
      .select("token_hash")
      .where("user_id", "=", u.userId)
      .execute();
    const text = JSON.stringify(keys);
    for (const r of rows) expect(text).not.toContain(r.token_hash);
    expect(text).not.toMatch(/mog_[0-9A-Za-z]{32}/);
  });

  it("shows lastUsedAt once a use has been flushed", async () => {
    const { cookie } = await signedIn();
    const r = await create(cookie, { name: "used" });
    expect((await list(cookie))[0]?.lastUsedAt).toBeNull();
    clock.advance(5000);
    expect((await repos(r.body.token)).status).toBe(200);
    await h.s.tokens.flushLastUsed();
    const row = await h.s.db.db
      .selectFrom("personal_access_tokens")
      .select("last_used_at")
      .where("id", "=", r.body.id)
      .executeTakeFirstOrThrow();
    expect(Number(row.last_used_at)).toBe(clock.now());
    const used = (await list(cookie))[0]?.lastUsedAt;
    expect(used).not.toBeNull();
    expect(new Date(used as string).getTime()).toBe(Number(row.last_used_at));
  });

  it("revokes at once: the next request is 401, the key leaves the list, audited", async () => {
    const { u, cookie } = await signedIn();
    const keep = await create(cookie, { name: "keep" });
    const r = await create(cookie, { name: "revoke me" });
    expect((await repos(r.body.token)).status).toBe(200);
    const del = await h.json("DELETE", `/api/settings/api-keys/${r.body.id}`, { cookie });
    expect(del.status).toBe(200);
    const after = await repos(r.body.token);
    expect(after.status).toBe(401);
    expect((await repos(keep.body.token)).status).toBe(200);
    expect((await list(cookie)).map((k) => k.id)).toEqual([keep.body.id]);
    expect((await h.json("DELETE", `/api/settings/api-keys/${r.body.id}`, { cookie })).status).toBe(404);
    const row = (await auditRows(h, "token.revoked")).find((a) => a.target_id === r.body.id);
    expect(row).toMatchObject({ actor_id: u.userId, team_id: u.teamId });
    expect(JSON.stringify(row)).not.toContain(r.body.token);
  });

  it("answers 404 for someone else's key and leaves it working", async () => {
    const mine = await signedIn();
    const theirs = await signedIn();
    const r = await create(theirs.cookie, { name: "theirs" });
    expect(
      (await h.json("DELETE", `/api/settings/api-keys/${r.body.id}`, { cookie: mine.cookie })).status,
    ).toBe(404);
    expect((await repos(r.body.token)).status).toBe(200);
  });

  it("refuses a revoke with a PAT or from a foreign origin", async () => {
    const { u, cookie } = await signedIn();
    const r = await create(cookie, { name: "target" });
    const { token } = await h.pat(u);
    expect((await h.json("DELETE", `/api/settings/api-keys/${r.body.id}`, { token })).status).toBe(403);
    const foreign = await h.json("DELETE", `/api/settings/api-keys/${r.body.id}`, {
      cookie,
      origin: "https://evil.example",
    });
    expect(foreign.status).toBe(403);
    expect((await repos(r.body.token)).status).toBe(200);
  });
});

describe("PAT expiry", () => {
  it("stops working once expiresAt is reached", async () => {
    const fake = new FakeClock();
    const hh = await createHarness({ clock: fake });
    try {
      const u = await hh.user();
      const cookie = await hh.signIn(u);
      const r = await create(cookie, { name: "a day", expiresInDays: 1 }, hh);
      expect(new Date(r.body.expiresAt as string).getTime()).toBe(fake.now() + 86_400_000);
      fake.advance(86_400_000 - 1);
      expect((await repos(r.body.token, hh)).status).toBe(200);
      fake.advance(1);
      const expired = await repos(r.body.token, hh);
      expect(expired.status).toBe(401);
      expect(expired.res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      // Still listed (expired is not revoked), so the person can see and clean it up.
      expect((await list(cookie, hh)).map((k) => k.id)).toContain(r.body.id);
    } finally {
      await hh.close();
    }
  });
});
