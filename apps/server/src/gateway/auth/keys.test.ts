// Gateway keys: session routes and roles, Argon2id at rest, signature-before-lookup, the cache and its invalidation.
import Database from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DB } from "../../db/schema.js";
import { createLogger } from "../../logger.js";
import type { Services } from "../../services.js";
import { createHarness, FakeClock, type Harness, type TestUser } from "../../test-support/harness.js";
import { wire } from "../../wiring.js";
import { MemoryInvalidationBus } from "./broadcast.js";
import { gatewayHmacKey, mintGatewayKey } from "./key-format.js";
import { GatewayKeyService } from "./keys.js";

const SYS = { actorType: "system", actorId: null } as const;
const REDIS_URL = () => process.env.MOGPLEX_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

describe("gateway keys", () => {
  const clock = new FakeClock();
  let h: Harness;
  let owner: TestUser;
  let member: TestUser;
  let ownerCookie: string;
  let memberCookie: string;

  const create = (cookie: string, body: Record<string, unknown>) =>
    h.json<{ id: string; key: string; prefix: string; servers: unknown; tools: unknown }>(
      "POST",
      "/api/settings/gateway-keys",
      { cookie, body },
    );

  beforeAll(async () => {
    // Redis even on SQLite: the cross-replica revocation test needs a broadcast to cross.
    h = await createHarness({ clock, env: { REDIS_URL: REDIS_URL() } });
    owner = await h.user();
    member = await h.user({ team: owner.team, role: "member" });
    ownerCookie = await h.signIn(owner);
    memberCookie = await h.signIn(member);
    await h.s.connections.create(
      owner.teamId,
      owner.userId,
      { kind: "mcp_server", name: "everything", command: "true" },
      SYS,
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  it("refuses a server the team does not have and a tool of a server outside the key's list, naming them", async () => {
    const unknown = await create(memberCookie, { name: "x", servers: ["nope"] });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain("servers: no MCP server named nope in this team");
    const stray = await create(memberCookie, { name: "x", servers: ["everything"], tools: ["other__echo"] });
    expect(stray.status).toBe(400);
    expect(JSON.stringify(stray.body)).toContain(
      "tools: other__echo belongs to a server the key is not allowed",
    );
  });

  it("creates a key shown once, stores only an Argon2id hash, and lists without secrets", async () => {
    const r = await create(memberCookie, {
      name: "laptop",
      servers: ["everything"],
      tools: ["everything__echo"],
    });
    expect(r.status).toBe(201);
    expect(r.body.key).toMatch(/^pmcp_01[0-9a-f]{80}$/);
    expect(r.body).toMatchObject({ servers: ["everything"], tools: ["everything__echo"] });
    const row = await h.s.db.db
      .selectFrom("gateway_keys")
      .selectAll()
      .where("id", "=", r.body.id)
      .executeTakeFirstOrThrow();
    expect(row.secret_hash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(row)).not.toContain(r.body.key.slice(39, 71)); // the secret part
    expect(row.prefix).toBe(r.body.key.slice(0, 15));
    const list = await h.json<{ keys: Array<Record<string, unknown>> }>("GET", "/api/settings/gateway-keys", {
      cookie: memberCookie,
    });
    expect(list.status).toBe(200);
    expect(list.body.keys.map((k) => k.id)).toContain(r.body.id);
    expect(JSON.stringify(list.body)).not.toContain(r.body.key);
    expect(list.body.keys.every((k) => !("key" in k))).toBe(true);
  });

  it("validates the allowlists against the team's servers", async () => {
    expect((await create(ownerCookie, { name: "x", servers: ["nope"] })).status).toBe(400);
    expect(
      (await create(ownerCookie, { name: "x", servers: ["everything"], tools: ["other__t"] })).status,
    ).toBe(400);
    expect((await create(ownerCookie, { name: "x", tools: ["not-namespaced"] })).status).toBe(400);
    expect((await create(ownerCookie, { name: "x", rateLimitRps: 0 })).status).toBe(400);
    expect((await create(ownerCookie, { name: "x", surprise: 1 })).status).toBe(400);
  });

  it("members manage their own keys, admins every key of the team, viewers none, other teams see 404", async () => {
    const mine = (await create(memberCookie, { name: "m" })).body;
    const owners = (await create(ownerCookie, { name: "o" })).body;
    // The member neither sees nor touches the owner's key.
    const memberList = await h.json<{ keys: Array<{ id: string }> }>("GET", "/api/settings/gateway-keys", {
      cookie: memberCookie,
    });
    expect(memberList.body.keys.map((k) => k.id)).not.toContain(owners.id);
    expect(
      (await h.json("DELETE", `/api/settings/gateway-keys/${owners.id}`, { cookie: memberCookie })).status,
    ).toBe(404);
    expect(
      (await h.json("POST", `/api/settings/gateway-keys/${owners.id}/rotate`, { cookie: memberCookie }))
        .status,
    ).toBe(404);
    // The owner sees and can revoke the member's.
    const ownerList = await h.json<{ keys: Array<{ id: string }> }>("GET", "/api/settings/gateway-keys", {
      cookie: ownerCookie,
    });
    expect(ownerList.body.keys.map((k) => k.id)).toEqual(expect.arrayContaining([mine.id, owners.id]));
    expect(
      (await h.json("DELETE", `/api/settings/gateway-keys/${mine.id}`, { cookie: ownerCookie })).status,
    ).toBe(200);
    expect(
      (await h.json("DELETE", `/api/settings/gateway-keys/${mine.id}`, { cookie: ownerCookie })).status,
    ).toBe(404);
    // Viewers read dashboards only.
    const viewer = await h.user({ team: owner.team, role: "viewer" });
    expect((await create(await h.signIn(viewer), { name: "v" })).status).toBe(403);
    // Another team's owner: 404, identical to an unknown id.
    const stranger = await h.user();
    const strangerCookie = await h.signIn(stranger);
    const foreign = await h.json("DELETE", `/api/settings/gateway-keys/${owners.id}`, {
      cookie: strangerCookie,
    });
    const unknown = await h.json(
      "DELETE",
      "/api/settings/gateway-keys/00000000-0000-0000-0000-000000000000",
      {
        cookie: strangerCookie,
      },
    );
    const pick = (r: { status: number; body: unknown }) => {
      const e = (r.body as { error: { code: string; message: string } }).error;
      return [r.status, e.code, e.message];
    };
    expect(pick(foreign)).toEqual(pick(unknown));
    expect(foreign.status).toBe(404);
  });

  it("refuses personal access tokens and audits issuance, rotation and revocation", async () => {
    const pat = await h.pat(owner);
    const r = await h.json("POST", "/api/settings/gateway-keys", { token: pat.token, body: { name: "x" } });
    expect(r.status).toBe(403);
    const k = (await create(ownerCookie, { name: "audited" })).body;
    await h.json("POST", `/api/settings/gateway-keys/${k.id}/rotate`, { cookie: ownerCookie });
    await h.json("DELETE", `/api/settings/gateway-keys/${k.id}`, { cookie: ownerCookie });
    const rows = await h.s.db.db
      .selectFrom("audit_events")
      .select(["action", "payload"])
      .where("target_id", "=", k.id)
      .execute();
    expect(rows.map((x) => x.action)).toEqual([
      "gateway_key.created",
      "gateway_key.rotated",
      "gateway_key.revoked",
    ]);
    expect(JSON.stringify(rows)).not.toContain(k.key);
  });

  it("a cached key's id and secret with any other signature are still refused (the cache matches whole keys)", async () => {
    const k = await h.s.gateway.keys.create(owner.userId, owner.teamId, { name: "sig" }, SYS);
    expect(await h.s.gateway.keys.authenticate(k.key)).not.toBeNull();
    const flip = (c: string) => (c === "0" ? "1" : "0");
    for (const i of [k.key.length - 1, k.key.length - 16]) {
      const forged = `${k.key.slice(0, i)}${flip(k.key[i] as string)}${k.key.slice(i + 1)}`;
      expect(await h.s.gateway.keys.authenticate(forged)).toBeNull();
    }
    expect(await h.s.gateway.keys.authenticate(`${k.key}0`)).toBeNull();
    expect(await h.s.gateway.keys.authenticate(k.key.toUpperCase())).toBeNull();
    expect(await h.s.gateway.keys.authenticate(k.key)).not.toBeNull();
  });

  it("verifies cold through Argon2id, then from the cache; expiry drops the cached key", async () => {
    const k = await h.s.gateway.keys.create(owner.userId, owner.teamId, { name: "c", expiresInDays: 1 }, SYS);
    const keys = h.s.gateway.keys;
    const before = keys.cacheSize;
    expect((await keys.authenticate(k.key))?.keyId).toBe(k.key.slice(7, 39));
    expect(keys.cacheSize).toBe(before + 1);
    expect((await keys.authenticate(k.key))?.teamId).toBe(owner.teamId);
    clock.advance(86_400_000);
    expect(await keys.authenticate(k.key)).toBeNull();
    expect(keys.cacheSize).toBe(before);
  });

  it("removal from a team revokes the member's keys of that team at once (cached or not), not of others", async () => {
    const m = await h.user({ team: owner.team, role: "member" });
    const other = await h.user();
    await h.s.teams.addMember(h.s.db.db, other.teamId, m.userId, "member", SYS);
    const a = await h.s.gateway.keys.create(m.userId, owner.teamId, { name: "a" }, SYS);
    const b = await h.s.gateway.keys.create(m.userId, owner.teamId, { name: "b" }, SYS);
    const elsewhere = await h.s.gateway.keys.create(m.userId, other.teamId, { name: "c" }, SYS);
    // Warm the cache: a revocation that only changed the row would still pass here for up to the TTL.
    for (const k of [a, b, elsewhere]) expect(await h.s.gateway.keys.authenticate(k.key)).not.toBeNull();
    const r = await h.json("DELETE", `/api/teams/${owner.teamId}/members/${m.userId}`, {
      cookie: ownerCookie,
    });
    expect(r.status).toBe(200);
    expect(await h.s.gateway.keys.authenticate(a.key)).toBeNull();
    expect(await h.s.gateway.keys.authenticate(b.key)).toBeNull();
    expect(await h.s.gateway.keys.authenticate(elsewhere.key)).not.toBeNull();
    const rows = await h.s.db.db
      .selectFrom("gateway_keys")
      .select(["name", "revoked_at"])
      .where("user_id", "=", m.userId)
      .orderBy("name")
      .execute();
    expect(rows.map((x) => [x.name, x.revoked_at !== null])).toEqual([
      ["a", true],
      ["b", true],
      ["c", false],
    ]);
  });

  it("a member made viewer loses the gateway at once (cache dropped), and gets it back as member", async () => {
    const m = await h.user({ team: owner.team, role: "member" });
    const k = await h.s.gateway.keys.create(m.userId, owner.teamId, { name: "r" }, SYS);
    expect(await h.s.gateway.keys.authenticate(k.key)).not.toBeNull();
    const setRole = (role: string) =>
      h.json("PATCH", `/api/teams/${owner.teamId}/members/${m.userId}`, {
        cookie: ownerCookie,
        body: { role },
      });
    expect((await setRole("viewer")).status).toBe(200);
    expect(await h.s.gateway.keys.authenticate(k.key)).toBeNull();
    expect((await setRole("member")).status).toBe(200);
    expect((await h.s.gateway.keys.authenticate(k.key))?.role).toBe("member");
    expect((await setRole("admin")).status).toBe(200);
    expect((await h.s.gateway.keys.authenticate(k.key))?.role).toBe("admin");
  });

  it("deleting the account revokes every key of the user, in every team, at once", async () => {
    const m = await h.user({ team: owner.team, role: "member" });
    const k = await h.s.gateway.keys.create(m.userId, owner.teamId, { name: "a" }, SYS);
    expect(await h.s.gateway.keys.authenticate(k.key)).not.toBeNull();
    const cookie = await h.signIn(m);
    const r = await h.json("DELETE", "/api/v1/users/me", { cookie, body: { confirm: m.email } });
    expect(r.status).toBe(200);
    expect(await h.s.gateway.keys.authenticate(k.key)).toBeNull();
    const live = await h.s.db.db
      .selectFrom("gateway_keys")
      .select("id")
      .where("user_id", "=", m.userId)
      .where("revoked_at", "is", null)
      .execute();
    expect(live).toEqual([]);
  });

  it("checks the signature before any storage lookup", async () => {
    const closed = new Kysely<DB>({ dialect: new SqliteDialect({ database: new Database(":memory:") }) });
    await closed.destroy(); // any query now throws
    const hmacKey = gatewayHmacKey("a-signing-secret-that-is-long-enough-000");
    const svc = new GatewayKeyService({
      db: closed,
      audit: h.s.audit,
      clock,
      teams: h.s.teams,
      hmacKey,
      bus: new MemoryInvalidationBus(),
      defaultRps: 10,
      cacheTtlMs: 60_000,
      serverNames: async () => new Set(),
    });
    const genuine = mintGatewayKey(hmacKey).key;
    const forged = `${genuine.slice(0, -16)}${"0".repeat(16)}`;
    expect(await svc.authenticate(forged)).toBeNull();
    expect(await svc.authenticate("pmcp_01nonsense")).toBeNull();
    await expect(svc.authenticate(genuine)).rejects.toThrow();
  });

  it("a revocation on one replica refuses the key on another at once (Redis broadcast), not after the cache ages", async () => {
    const schema =
      h.dialect === "postgres"
        ? (await sql<{ s: string }>`select current_schema() as s`.execute(h.s.db.db)).rows[0]?.s
        : undefined;
    // A second replica: same database, same Redis, its own memory (and so its own key cache).
    expect(h.s.config.redisUrl).toBeDefined();
    const other: Services = await wire({
      config: h.s.config,
      clock,
      logger: createLogger("silent"),
      pgSchema: schema,
      migrate: false,
    });
    try {
      const k = await h.s.gateway.keys.create(owner.userId, owner.teamId, { name: "replicated" }, SYS);
      expect(await other.gateway.keys.authenticate(k.key)).not.toBeNull(); // now cached over there
      expect(h.s.config.gateway.keyCacheTtlMs).toBeGreaterThan(10_000);
      await h.s.gateway.keys.revoke(owner.userId, k.id, SYS);
      await vi.waitFor(async () => expect(await other.gateway.keys.authenticate(k.key)).toBeNull(), {
        timeout: 5_000,
      });
    } finally {
      await other.close();
    }
  });
});
