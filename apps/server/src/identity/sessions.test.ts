// Our session routes over Better Auth sessions: /api/me, listing, revocation and the absolute lifetime.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";
import { auditRows } from "./test-support/db.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

interface SessionView {
  id: string;
  current: boolean;
  createdAt: string;
  lastActiveAt: string;
  expiresAt: string;
}
const sessions = async (cookie: string) =>
  (await h.json<{ sessions: SessionView[] }>("GET", "/api/me/sessions", { cookie })).body.sessions;

describe("sessions", () => {
  it("GET /api/me answers the signed-in person and their teams; 401 without a cookie", async () => {
    const u = await h.user();
    const cookie = await h.signIn(u);
    const me = await h.json<{
      user: Record<string, unknown>;
      teams: Array<{ teamId: string; role: string }>;
    }>("GET", "/api/me", { cookie });
    expect(me.status).toBe(200);
    expect(me.body.user).toEqual({ id: u.userId, email: u.email, name: "Test User" });
    expect(me.body.teams).toEqual([expect.objectContaining({ teamId: u.teamId, role: "owner" })]);
    expect((await h.json("GET", "/api/me")).status).toBe(401);
    expect((await h.json("GET", "/api/me", { cookie: "mogplex.session_token=forged.value" })).status).toBe(
      401,
    );
  });

  it("refuses a PAT on session routes with 403", async () => {
    const u = await h.user();
    const { token } = await h.pat(u);
    const r = await h.json<{ error: { code: string } }>("GET", "/api/me", { token });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("FORBIDDEN");
  });

  it("lists the person's sessions with the current one flagged, and no tokens", async () => {
    const u = await h.user();
    const a = await h.signIn(u);
    const b = await h.signIn(u);
    const list = await sessions(b);
    expect(list).toHaveLength(2);
    expect(list.filter((s) => s.current)).toHaveLength(1);
    const fromA = await sessions(a);
    expect(fromA.find((s) => s.current)?.id).not.toBe(list.find((s) => s.current)?.id);
    const tokens = await h.s.db.db
      .selectFrom("session")
      .select("token")
      .where("userId", "=", u.userId)
      .execute();
    const text = JSON.stringify(list);
    for (const t of tokens) expect(text).not.toContain(t.token);
  });

  it("revokes another session immediately, audited; its cookie stops working", async () => {
    const u = await h.user();
    const laptop = await h.signIn(u);
    const phone = await h.signIn(u);
    const phoneId = (await sessions(phone)).find((s) => s.current)?.id as string;
    const r = await h.json("DELETE", `/api/me/sessions/${phoneId}`, { cookie: laptop });
    expect(r.status).toBe(200);
    expect((await h.json("GET", "/api/me", { cookie: phone })).status).toBe(401);
    expect((await h.json("GET", "/api/me", { cookie: laptop })).status).toBe(200);
    expect(await sessions(laptop)).toHaveLength(1);
    const rows = await auditRows(h, "session.revoked");
    expect(rows.find((a) => a.target_id === phoneId)).toMatchObject({
      actor_id: u.userId,
      actor_type: "user",
    });
  });

  it("answers 404 for someone else's session, leaving it alive", async () => {
    const u = await h.user();
    const other = await h.user();
    const mine = await h.signIn(u);
    const theirs = await h.signIn(other);
    const theirId = (await sessions(theirs)).find((s) => s.current)?.id as string;
    expect((await h.json("DELETE", `/api/me/sessions/${theirId}`, { cookie: mine })).status).toBe(404);
    expect((await h.json("DELETE", "/api/me/sessions/no-such-session", { cookie: mine })).status).toBe(404);
    expect((await h.json("GET", "/api/me", { cookie: theirs })).status).toBe(200);
  });

  it("refuses a cross-origin revoke", async () => {
    const u = await h.user();
    const a = await h.signIn(u);
    const b = await h.signIn(u);
    const bId = (await sessions(b)).find((s) => s.current)?.id as string;
    const r = await h.json("DELETE", `/api/me/sessions/${bId}`, {
      cookie: a,
      origin: "https://evil.example",
    });
    expect(r.status).toBe(403);
    expect((await h.json("GET", "/api/me", { cookie: b })).status).toBe(200);
  });

  it("signs out through Better Auth: the cookie is dead afterwards", async () => {
    const u = await h.user();
    const cookie = await h.signIn(u);
    expect((await h.json("POST", "/api/auth/sign-out", { cookie, body: {} })).status).toBe(200);
    expect((await h.json("GET", "/api/me", { cookie })).status).toBe(401);
  });

  it("ends a session past the 7-day absolute lifetime even though it is still sliding", async () => {
    const u = await h.user();
    const cookie = await h.signIn(u);
    const id = (await sessions(cookie)).find((s) => s.current)?.id as string;
    const set = (ms: number) =>
      h.s.db.db
        .updateTable("session")
        .set({ createdAt: new Date(Date.now() - ms).toISOString() })
        .where("id", "=", id)
        .execute();
    await set(7 * 86_400_000 - 3_600_000);
    expect((await h.json("GET", "/api/me", { cookie })).status).toBe(200);
    await set(7 * 86_400_000 + 60_000);
    expect((await h.json("GET", "/api/me", { cookie })).status).toBe(401);
    // Ended for good, not just refused once.
    const left = await h.s.db.db.selectFrom("session").select("id").where("id", "=", id).execute();
    expect(left).toHaveLength(0);
  });

  it("ends a session past its idle expiry", async () => {
    const u = await h.user();
    const cookie = await h.signIn(u);
    await h.s.db.db
      .updateTable("session")
      .set({ expiresAt: new Date(Date.now() - 1000).toISOString() })
      .where("userId", "=", u.userId)
      .execute();
    expect((await h.json("GET", "/api/me", { cookie })).status).toBe(401);
  });
});

describe("password change", () => {
  it("needs the current password and 12+ characters, is audited, and the old password stops working", async () => {
    const u = await h.user();
    const cookie = await h.signIn(u);
    const next = "a brand new long passphrase";
    const change = (body: Record<string, unknown>) =>
      h.json("POST", "/api/auth/change-password", { cookie, body });
    expect(
      (await change({ currentPassword: "not-the-current-one", newPassword: next })).status,
    ).toBeGreaterThanOrEqual(400);
    expect((await change({ currentPassword: u.password, newPassword: "too-short" })).status).toBe(400);
    expect((await change({ currentPassword: u.password, newPassword: next })).status).toBe(200);
    const old = await h.json("POST", "/api/auth/sign-in/email", {
      body: { email: u.email, password: u.password },
    });
    expect(old.status).toBe(401);
    expect(await h.signIn({ email: u.email, password: next })).toContain("mogplex.session_token=");
    const rows = (await auditRows(h, "auth.password_changed")).filter((r) => r.target_id === u.userId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_id: u.userId, team_id: u.teamId });
    expect(JSON.stringify(rows)).not.toContain(next);
  });
});
