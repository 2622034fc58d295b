// Account deletion (irreversible anonymisation) and GDPR export (own records, never secrets).
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPat } from "../security/pat.js";
import { createHarness, type Harness, type TestUser } from "../test-support/harness.js";
import { auditRows } from "./test-support/db.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

async function startRun(token: string, repoId: string, prompt = "fix the flaky test"): Promise<string> {
  const r = await h.json<{ data: { run: { id: string } } }>("POST", "/api/v1/mogplex/runs", {
    token,
    body: { repoId, prompt },
    headers: { "idempotency-key": `k-${Math.random()}` },
  });
  expect(r.status).toBe(202);
  return r.body.data.run.id;
}

const count = async (table: "session" | "account" | "twoFactor", u: TestUser) =>
  (await h.s.db.db.selectFrom(table).select("id").where("userId", "=", u.userId).execute()).length;

describe("account deletion", () => {
  it("requires the account's email as confirmation", async () => {
    const u = await h.user();
    const cookie = await h.signIn(u);
    for (const confirm of ["someone-else@example.test", "", u.email.replace("@", "+x@")]) {
      const r = await h.json<{ error: { code: string } }>("DELETE", "/api/v1/users/me", {
        cookie,
        body: { confirm },
      });
      expect(r.status).toBe(400);
    }
    expect((await h.json("DELETE", "/api/v1/users/me", { cookie })).status).toBe(400);
    expect(
      (await h.json("POST", "/api/v1/users/me/delete", { cookie, body: { confirm: "nope@example.test" } }))
        .status,
    ).toBe(400);
    expect((await h.json("GET", "/api/me", { cookie })).status).toBe(200);
  });

  it("refuses a PAT and a cross-origin request", async () => {
    const u = await h.user();
    const { token } = await h.pat(u);
    expect((await h.json("DELETE", "/api/v1/users/me", { token, body: { confirm: u.email } })).status).toBe(
      403,
    );
    const cookie = await h.signIn(u);
    const foreign = await h.json("DELETE", "/api/v1/users/me", {
      cookie,
      body: { confirm: u.email },
      origin: "https://evil.example",
    });
    expect(foreign.status).toBe(403);
    expect((await h.json("GET", "/api/me", { cookie })).status).toBe(200);
  });

  it("anonymises the profile, removes credentials, 2FA and sessions, and revokes every token", async () => {
    const u = await h.user();
    await h.s.db.db
      .updateTable("user")
      .set({ image: "https://img.example/me.png" })
      .where("id", "=", u.userId)
      .execute();
    const cookie = await h.signIn(u);
    const other = await h.signIn(u);
    expect(
      (await h.json("POST", "/api/auth/two-factor/enable", { cookie, body: { password: u.password } }))
        .status,
    ).toBe(200);
    const a = await h.pat(u);
    const b = await h.pat(u, { scopes: ["read"] });
    const repoId = await h.repo(u.teamId);
    const runId = await startRun(a.token, repoId);
    expect((await h.json("GET", "/api/v1/mogplex/repos", { token: b.token })).status).toBe(200);
    expect(await count("twoFactor", u)).toBe(1);

    const r = await h.json<{ ok: boolean; data: { deleted: boolean } }>("DELETE", "/api/v1/users/me", {
      cookie,
      body: { confirm: u.email.toUpperCase() },
    });
    expect(r.status).toBe(200);
    expect(r.body.data.deleted).toBe(true);

    for (const c of [cookie, other]) expect((await h.json("GET", "/api/me", { cookie: c })).status).toBe(401);
    for (const t of [a.token, b.token]) {
      expect((await h.json("GET", "/api/v1/mogplex/repos", { token: t })).status).toBe(401);
    }
    const user = await h.s.db.db
      .selectFrom("user")
      .selectAll()
      .where("id", "=", u.userId)
      .executeTakeFirstOrThrow();
    expect(user.name).toBe("Deleted user");
    expect(user.email).not.toContain(u.email.split("@")[0] as string);
    expect(user.image).toBeNull();
    expect(Boolean(user.twoFactorEnabled)).toBe(false);
    expect(await count("session", u)).toBe(0);
    expect(await count("account", u)).toBe(0);
    expect(await count("twoFactor", u)).toBe(0);
    const pats = await h.s.db.db
      .selectFrom("personal_access_tokens")
      .selectAll()
      .where("user_id", "=", u.userId)
      .execute();
    expect(pats).toHaveLength(2);
    for (const p of pats) expect(p.revoked_at).not.toBeNull();
    const sec = await h.s.db.db
      .selectFrom("user_security")
      .selectAll()
      .where("user_id", "=", u.userId)
      .executeTakeFirst();
    expect(sec?.deleted_at).not.toBeNull();

    // Records that reference the person keep the id.
    const run = await h.s.db.db
      .selectFrom("runs")
      .select(["id", "user_id"])
      .where("id", "=", runId)
      .executeTakeFirst();
    expect(run?.user_id).toBe(u.userId);
    const rows = await auditRows(h);
    expect(rows.some((x) => x.action === "token.created" && x.actor_id === u.userId)).toBe(true);
    const deleted = rows.filter((x) => x.action === "account.deleted" && x.target_id === u.userId);
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({ actor_id: u.userId, team_id: u.teamId, auth_source: "session" });
    expect((await h.s.audit.verify(h.s.db.db)).ok).toBe(true);
  });

  it("is irreversible: the old email and password no longer sign in, and nothing can revive the tokens", async () => {
    const u = await h.user();
    const cookie = await h.signIn(u);
    const r = await h.json("POST", "/api/v1/users/me/delete", { cookie, body: { confirm: u.email } });
    expect(r.status).toBe(200);
    const again = await h.json("POST", "/api/auth/sign-in/email", {
      body: { email: u.email, password: u.password },
    });
    expect(again.status).toBe(401);
    expect(await h.s.identity.findUserByEmail(u.email)).toBeUndefined();
  });

  it("refuses a session minted for a deleted account by any other path", async () => {
    const ctx = await h.s.identity.auth.$context;
    const mint = async (userId: string) => {
      const session = await ctx.internalAdapter.createSession(userId);
      const sig = createHmac("sha256", ctx.secret).update(session.token).digest("base64");
      return `mogplex.session_token=${encodeURIComponent(`${session.token}.${sig}`)}`;
    };
    const control = await h.user();
    expect((await h.json("GET", "/api/me", { cookie: await mint(control.userId) })).status).toBe(200);

    const u = await h.user();
    const cookie = await h.signIn(u);
    expect((await h.json("DELETE", "/api/v1/users/me", { cookie, body: { confirm: u.email } })).status).toBe(
      200,
    );
    // E.g. a device-flow or second-factor challenge started before the deletion and finished after it.
    expect((await h.json("GET", "/api/me", { cookie: await mint(u.userId) })).status).toBe(401);
  });

  it("refuses (409) when the person is the sole owner of a team that still has members", async () => {
    const owner = await h.user();
    const member = await h.user({ team: owner.team, role: "member" });
    const cookie = await h.signIn(owner);
    const r = await h.json<{ error: { code: string } }>("DELETE", "/api/v1/users/me", {
      cookie,
      body: { confirm: owner.email },
    });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("CONFLICT");
    expect((await h.json("GET", "/api/me", { cookie })).status).toBe(200);
    // With a second owner, the first may go.
    await h.s.teams.changeRole(
      { userId: owner.userId, teamId: owner.teamId, role: "owner" },
      member.userId,
      "owner",
      {
        actorType: "system",
        actorId: null,
      },
    );
    expect(
      (await h.json("DELETE", "/api/v1/users/me", { cookie, body: { confirm: owner.email } })).status,
    ).toBe(200);
    expect((await h.s.teams.listMembers(owner.teamId)).map((m) => m.userId)).toEqual([member.userId]);
  });
});

describe("data export", () => {
  it("returns profile, memberships, token metadata, runs and audit rows about the person", async () => {
    const u = await h.user();
    const cookie = await h.signIn(u);
    const pat = await h.pat(u, { name: "laptop" });
    const repoId = await h.repo(u.teamId);
    const runId = await startRun(pat.token, repoId, "export me");
    const r = await h.json<{ ok: boolean; data: Record<string, unknown> }>("GET", "/api/v1/users/me/export", {
      cookie,
    });
    expect(r.status).toBe(200);
    expect(r.res.headers.get("content-disposition")).toContain("attachment");
    const d = r.body.data as {
      profile: { id: string; email: string };
      memberships: Array<{ teamId: string; role: string }>;
      tokens: Array<Record<string, unknown>>;
      runs: Array<{ id: string; prompt: string }>;
      auditEvents: Array<{ action: string }>;
    };
    expect(d.profile).toMatchObject({ id: u.userId, email: u.email, name: "Test User" });
    expect(d.memberships).toEqual([expect.objectContaining({ teamId: u.teamId, role: "owner" })]);
    expect(d.tokens).toEqual([
      expect.objectContaining({ id: pat.id, name: "laptop", prefix: pat.token.slice(0, 12) }),
    ]);
    expect(Object.keys(d.tokens[0] ?? {}).sort()).toEqual(
      ["createdAt", "expiresAt", "id", "ipAllowlist", "lastUsedAt", "name", "prefix", "scopes"].sort(),
    );
    expect(d.runs.map((x) => x.id)).toEqual([runId]);
    expect(d.runs[0]?.prompt).toBe("export me");
    expect(d.auditEvents.map((a) => a.action)).toEqual(
      expect.arrayContaining(["user.created", "auth.sign_in", "token.created", "run.created"]),
    );

    const text = JSON.stringify(r.body);
    const sessions = await h.s.db.db
      .selectFrom("session")
      .select("token")
      .where("userId", "=", u.userId)
      .execute();
    const account = await h.s.db.db
      .selectFrom("account")
      .select("password")
      .where("userId", "=", u.userId)
      .executeTakeFirstOrThrow();
    const secrets = [
      pat.token,
      hashPat(pat.token),
      u.password,
      account.password as string,
      ...sessions.map((s) => s.token),
    ];
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).not.toMatch(/token_?hash|"password"/i);
  });

  it("holds nothing of other people", async () => {
    const u = await h.user();
    const mate = await h.user({ team: u.team, role: "member" });
    const matePat = await h.pat(mate);
    await startRun(matePat.token, await h.repo(u.teamId), "mate's private prompt");
    const cookie = await h.signIn(u);
    const r = await h.json("GET", "/api/v1/users/me/export", { cookie });
    const text = JSON.stringify(r.body);
    expect(text).not.toContain("mate's private prompt");
    expect(text).not.toContain(mate.email);
    expect(text).not.toContain(matePat.id);
  });

  it("is session-only", async () => {
    const u = await h.user();
    const { token } = await h.pat(u);
    expect((await h.json("GET", "/api/v1/users/me/export", { token })).status).toBe(403);
    expect((await h.json("GET", "/api/v1/users/me/export")).status).toBe(401);
  });
});
