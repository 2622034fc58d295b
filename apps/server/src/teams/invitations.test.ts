// Invitations: a hashed, single-use, 7-day token, accepted by the signed-in invitee or used to sign up.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRows, dumpDatabase } from "../identity/test-support/db.js";
import { sha256Hex } from "../security/random.js";
import { createHarness, FakeClock, type Harness, type TestUser, uniq } from "../test-support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

interface Invite {
  id: string;
  token: string;
  email: string;
  role: string;
  expiresAt: string;
}

async function invite(hh: Harness, by: TestUser, email: string, role = "member") {
  const cookie = await hh.signIn(by);
  return hh.json<Invite & { error?: { code: string } }>("POST", `/api/teams/${by.teamId}/invitations`, {
    cookie,
    body: { email, role },
  });
}
const accept = async (hh: Harness, who: TestUser, token: string) =>
  hh.json<{ membership: { teamId: string; role: string } }>("POST", "/api/invitations/accept", {
    cookie: await hh.signIn(who),
    body: { token },
  });
const newEmail = () => `${uniq("inv")}@example.test`;

describe("invitations", () => {
  it("returns the token once and stores only its SHA-256; audited without the token", async () => {
    const owner = await h.user();
    const email = newEmail();
    const r = await invite(h, owner, email.toUpperCase(), "admin");
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ email, role: "admin" });
    expect(r.body.token).toMatch(/^inv_[0-9A-Za-z]{32}$/);
    const row = await h.s.db.db
      .selectFrom("invitations")
      .selectAll()
      .where("id", "=", r.body.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(sha256Hex(r.body.token));
    expect(await dumpDatabase(h)).not.toContain(r.body.token);
    const created = (await auditRows(h, "invitation.created")).find((a) => a.target_id === r.body.id);
    expect(created).toMatchObject({ team_id: owner.teamId, actor_id: owner.userId });
    expect(created?.payload).toMatchObject({ role: "admin" });
    const list = await h.json<{ invitations: Array<Record<string, unknown>> }>(
      "GET",
      `/api/teams/${owner.teamId}/invitations`,
      {
        cookie: await h.signIn(owner),
      },
    );
    expect(list.body.invitations).toEqual([
      expect.objectContaining({ id: r.body.id, email, status: "pending" }),
    ]);
    expect(JSON.stringify(list.body)).not.toContain(r.body.token);
    expect(JSON.stringify(list.body)).not.toContain(row.token_hash);
  });

  it("is accepted once by the signed-in invitee, who joins with the invited role", async () => {
    const owner = await h.user();
    const invitee = await h.user();
    const r = await invite(h, owner, invitee.email, "viewer");
    const ok = await accept(h, invitee, r.body.token);
    expect(ok.status).toBe(200);
    expect(ok.body.membership).toMatchObject({ teamId: owner.teamId, role: "viewer" });
    expect((await h.s.teams.memberships(invitee.userId)).map((m) => m.teamId)).toContain(owner.teamId);
    const again = await accept(h, invitee, r.body.token);
    expect(again.status).toBe(404);
    const rows = await auditRows(h, "invitation.accepted", "member.added");
    expect(rows.find((a) => a.action === "invitation.accepted" && a.target_id === r.body.id)).toMatchObject({
      actor_id: invitee.userId,
      team_id: owner.teamId,
    });
    expect(
      rows.find(
        (a) => a.action === "member.added" && a.target_id === invitee.userId && a.team_id === owner.teamId,
      )?.payload,
    ).toEqual({
      role: "viewer",
    });
  });

  it("can only be accepted by the person it was sent to (404 otherwise, invitation left open)", async () => {
    const owner = await h.user();
    const invitee = await h.user();
    const stranger = await h.user();
    const r = await invite(h, owner, invitee.email);
    expect((await accept(h, stranger, r.body.token)).status).toBe(404);
    expect((await accept(h, invitee, r.body.token)).status).toBe(200);
  });

  it("does not change the role of someone already in the team", async () => {
    const owner = await h.user();
    const cookie = await h.signIn(owner);
    const self = await h.json<Invite>("POST", `/api/teams/${owner.teamId}/invitations`, {
      cookie,
      body: { email: owner.email, role: "viewer" },
    });
    const r = await accept(h, owner, self.body.token);
    expect(r.status).toBe(409);
    expect(await h.s.teams.roleOf(owner.userId, owner.teamId)).toBe("owner");
  });

  it("rejects unknown, malformed and revoked tokens; revoking is audited and needs admin", async () => {
    const owner = await h.user();
    const member = await h.user({ team: owner.team, role: "member" });
    const invitee = await h.user();
    const r = await invite(h, owner, invitee.email);
    expect((await accept(h, invitee, `${r.body.token}x`)).status).toBe(404);
    expect((await accept(h, invitee, "inv_nope")).status).toBe(404);
    const path = `/api/teams/${owner.teamId}/invitations/${r.body.id}`;
    expect((await h.json("DELETE", path, { cookie: await h.signIn(member) })).status).toBe(403);
    expect((await h.json("DELETE", path, { cookie: await h.signIn(owner) })).status).toBe(200);
    expect((await h.json("DELETE", path, { cookie: await h.signIn(owner) })).status).toBe(404);
    expect((await accept(h, invitee, r.body.token)).status).toBe(404);
    expect((await auditRows(h, "invitation.revoked")).some((a) => a.target_id === r.body.id)).toBe(true);
  });

  it("lets a new person sign up with it: account, membership and sign-in, once", async () => {
    const owner = await h.user();
    const email = newEmail();
    const r = await invite(h, owner, email, "member");
    const weak = await h.json("POST", "/api/invitations/sign-up", {
      body: { token: r.body.token, name: "New Person", password: "short" },
    });
    expect(weak.status).toBe(400);
    const password = "a perfectly long password";
    const ok = await h.json<{ userId: string }>("POST", "/api/invitations/sign-up", {
      body: { token: r.body.token, name: "New Person", password },
    });
    expect(ok.status).toBe(201);
    expect(await h.s.teams.roleOf(ok.body.userId, owner.teamId)).toBe("member");
    const cookie = await h.signIn({ email, password });
    const me = await h.json<{ user: { email: string } }>("GET", "/api/me", { cookie });
    expect(me.body.user.email).toBe(email);
    const again = await h.json("POST", "/api/invitations/sign-up", {
      body: { token: r.body.token, name: "Again", password },
    });
    expect(again.status).toBe(404);
    expect(await dumpDatabase(h)).not.toContain(password);
  });

  it("will not sign up over an existing account, nor from a foreign origin", async () => {
    const owner = await h.user();
    const existing = await h.user();
    const r = await invite(h, owner, existing.email);
    const body = { token: r.body.token, name: "X", password: "another long password" };
    expect((await h.json("POST", "/api/invitations/sign-up", { body })).status).toBe(409);
    expect(
      (await h.json("POST", "/api/invitations/sign-up", { body, origin: "https://evil.example" })).status,
    ).toBe(403);
    expect((await accept(h, existing, r.body.token)).status).toBe(200);
  });
});

describe("invitations under concurrency", () => {
  it("are accepted exactly once when the same token is used in parallel", async () => {
    const owner = await h.user();
    const invitee = await h.user();
    const r = await invite(h, owner, invitee.email);
    const cookie = await h.signIn(invitee);
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        h.json("POST", "/api/invitations/accept", { cookie, body: { token: r.body.token } }),
      ),
    );
    const statuses = results.map((x) => x.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    for (const s of statuses.filter((x) => x !== 200)) expect([404, 409]).toContain(s);
    const accepted = (await auditRows(h, "invitation.accepted")).filter((a) => a.target_id === r.body.id);
    expect(accepted).toHaveLength(1);
  });

  it("create exactly one account when the sign-up is raced", async () => {
    const owner = await h.user();
    const email = newEmail();
    const r = await invite(h, owner, email);
    const body = { token: r.body.token, name: "Racer", password: "a perfectly long password" };
    const results = await Promise.all(
      Array.from({ length: 4 }, () => h.json("POST", "/api/invitations/sign-up", { body })),
    );
    const statuses = results.map((x) => x.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    for (const s of statuses.filter((x) => x !== 201)) expect([404, 409]).toContain(s);
    const users = await h.s.db.db.selectFrom("user").select("id").where("email", "=", email).execute();
    expect(users).toHaveLength(1);
    expect(await h.s.teams.roleOf(users[0]?.id as string, owner.teamId)).toBe("member");
  });
});

describe("invitation expiry", () => {
  it("lapses after 7 days", async () => {
    const clock = new FakeClock();
    const hh = await createHarness({ clock });
    try {
      const owner = await hh.user();
      const a = await hh.user();
      const b = await hh.user();
      const late = await invite(hh, owner, a.email);
      const inTime = await invite(hh, owner, b.email);
      expect(new Date(late.body.expiresAt).getTime()).toBe(clock.now() + 7 * 86_400_000);
      clock.advance(7 * 86_400_000 - 1000);
      expect((await accept(hh, b, inTime.body.token)).status).toBe(200);
      clock.advance(1000);
      expect((await accept(hh, a, late.body.token)).status).toBe(404);
      const signUp = await hh.json("POST", "/api/invitations/sign-up", {
        body: { token: late.body.token, name: "Late", password: "a perfectly long password" },
      });
      expect(signUp.status).toBe(404);
      const list = await hh.json<{ invitations: Array<{ id: string; status: string }> }>(
        "GET",
        `/api/teams/${owner.teamId}/invitations`,
        { cookie: await hh.signIn(owner) },
      );
      expect(list.body.invitations.find((i) => i.id === late.body.id)?.status).toBe("expired");
      expect(list.body.invitations.find((i) => i.id === inTime.body.id)?.status).toBe("accepted");
    } finally {
      await hh.close();
    }
  });
});
