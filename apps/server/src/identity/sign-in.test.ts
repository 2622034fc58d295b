// Password sign-in through Better Auth: the cookie, uniform failures, audit rows, rotation and sessions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";
import { auditRows, cookiesOf, dumpDatabase } from "./test-support/db.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ env: { MOGPLEX_TRUST_PROXY: "true" } });
});
afterAll(async () => {
  await h.close();
});

const signIn = (email: string, password: string, headers: Record<string, string> = {}) =>
  h.json<Record<string, unknown>>("POST", "/api/auth/sign-in/email", { body: { email, password }, headers });

describe("password sign-in", () => {
  it("sets an httpOnly, SameSite=Lax mogplex.session_token cookie", async () => {
    const u = await h.user();
    const r = await signIn(u.email, u.password);
    expect(r.status).toBe(200);
    const set = r.res.headers.getSetCookie().find((c) => c.startsWith("mogplex.session_token="));
    expect(set).toBeDefined();
    expect(set).toMatch(/;\s*HttpOnly/i);
    expect(set).toMatch(/;\s*SameSite=Lax/i);
    expect(set).toMatch(/;\s*Path=\//i);
    const me = await h.json<{ user: { id: string } }>("GET", "/api/me", { cookie: cookiesOf(r.res) });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(u.userId);
  });

  it("answers a wrong password and an unknown email with the same 401", async () => {
    const u = await h.user();
    const wrong = await signIn(u.email, "not-the-password-at-all");
    const unknown = await signIn("nobody-here@example.test", "not-the-password-at-all");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.res.headers.getSetCookie().some((c) => c.startsWith("mogplex.session_token=x"))).toBe(false);
    expect(cookiesOf(wrong.res)).not.toContain("session_token");
  });

  it("audits success and failure with ip, provider and request id, never the password", async () => {
    const u = await h.user();
    const ip = { "x-forwarded-for": "203.0.113.7", "x-request-id": "req-signin-ok-1" };
    expect((await signIn(u.email, u.password, ip)).status).toBe(200);
    const wrongPassword = "wrong-Password-9f3b1c77";
    const bad = { "x-forwarded-for": "198.51.100.9", "x-request-id": "req-signin-bad-1" };
    expect((await signIn(u.email, wrongPassword, bad)).status).toBe(401);
    expect((await signIn("ghost@example.test", wrongPassword, bad)).status).toBe(401);

    const rows = await auditRows(h, "auth.sign_in", "auth.sign_in_failed");
    const ok = rows.find((r) => r.action === "auth.sign_in" && r.target_id === u.userId);
    expect(ok).toMatchObject({
      actor_type: "user",
      actor_id: u.userId,
      team_id: u.teamId,
      ip: "203.0.113.7",
    });
    expect(ok?.payload).toMatchObject({ provider: "credential" });
    const okRaw = await h.s.db.db
      .selectFrom("audit_events")
      .select("request_id")
      .where("id", "=", ok?.id ?? "")
      .executeTakeFirst();
    expect(okRaw?.request_id).toBe("req-signin-ok-1");

    const failed = rows.filter((r) => r.action === "auth.sign_in_failed" && r.ip === "198.51.100.9");
    expect(failed).toHaveLength(2);
    const known = failed.find((r) => r.target_id === u.userId);
    // A failed attempt names the account it was against, but nobody authenticated: the actor is anonymous.
    expect(known).toMatchObject({ actor_type: "anonymous", actor_id: null, team_id: u.teamId });
    expect(known?.payload).toMatchObject({ provider: "credential", reason: "INVALID_EMAIL_OR_PASSWORD" });
    const unknownRow = failed.find((r) => r.target_id === null);
    expect(unknownRow).toMatchObject({ actor_type: "anonymous", team_id: null });

    const everything = await dumpDatabase(h);
    expect(everything).not.toContain(u.password);
    expect(everything).not.toContain(wrongPassword);
  });

  it("does not record a password typed into the email field", async () => {
    const typo = "my-Secret-passphrase-typed-here";
    expect((await signIn(typo, "whatever-password-1")).status).not.toBe(200);
    expect(await dumpDatabase(h)).not.toContain(typo);
  });

  it("starts a new session on every sign-in, even when the old cookie is presented", async () => {
    const u = await h.user();
    const first = await h.signIn(u);
    const again = await h.json("POST", "/api/auth/sign-in/email", {
      cookie: first,
      body: { email: u.email, password: u.password },
    });
    expect(again.status).toBe(200);
    const second = cookiesOf(again.res);
    expect(second).toContain("mogplex.session_token=");
    expect(second).not.toBe(first);
    const sessions = await h.s.db.db
      .selectFrom("session")
      .select("id")
      .where("userId", "=", u.userId)
      .execute();
    expect(new Set(sessions.map((s) => s.id)).size).toBe(2);
  });

  it("refuses a sign-in post from a foreign origin", async () => {
    const u = await h.user();
    const r = await h.json("POST", "/api/auth/sign-in/email", {
      body: { email: u.email, password: u.password },
      origin: "https://evil.example",
    });
    expect(r.status).toBe(403);
    expect(cookiesOf(r.res)).not.toContain("session_token");
  });

  it("keeps self sign-up closed", async () => {
    const r = await h.json("POST", "/api/auth/sign-up/email", {
      body: { email: "newcomer@example.test", password: "a long enough password", name: "N" },
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(await h.s.identity.findUserByEmail("newcomer@example.test")).toBeUndefined();
  });
});

describe("session token stays out of page script", () => {
  it("strips the session token from sign-in and get-session JSON while the cookie still works", async () => {
    const h2 = await createHarness();
    try {
      const u = await h2.user();
      const res = await h2.request("POST", "/api/auth/sign-in/email", {
        body: { email: u.email, password: u.password },
      });
      expect(res.status).toBe(200);
      const cookie = res.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; ");
      const raw = decodeURIComponent(cookie.split("=")[1] ?? "").split(".")[0] ?? "";
      expect(raw.length).toBeGreaterThan(10);
      const signIn = await res.text();
      expect(signIn).not.toContain(raw);
      expect(JSON.parse(signIn)).not.toHaveProperty("token");
      const gs = await h2.request("GET", "/api/auth/get-session", { cookie });
      const body = await gs.text();
      expect(gs.status).toBe(200);
      expect(body).not.toContain(raw);
      expect(JSON.parse(body).user.email).toBe(u.email);
      expect((await h2.json("GET", "/api/me", { cookie })).status).toBe(200);
    } finally {
      await h2.close();
    }
  });
});
