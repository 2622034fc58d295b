// First-run setup: a one-time, hashed, one-hour token creates the first owner and their team.
import { afterEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../security/random.js";
import { createHarness, FakeClock, type Harness } from "../test-support/harness.js";
import { auditRows, dumpDatabase } from "./test-support/db.js";

const harnesses: Harness[] = [];
async function fresh(clock?: FakeClock): Promise<Harness> {
  const h = await createHarness(clock ? { clock } : {});
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

const owner = (token: string, extra: Record<string, unknown> = {}) => ({
  token,
  email: "First.Owner@Example.test",
  name: "First Owner",
  password: "correct horse battery staple",
  ...extra,
});

describe("first-run setup", () => {
  it("issues a token only while there are no users, storing only its SHA-256", async () => {
    const h = await fresh();
    expect((await h.json("GET", "/api/setup")).body).toEqual({ needsSetup: true });
    const token = await h.s.identity.issueSetupToken();
    expect(token).toMatch(/^setup_[0-9A-Za-z]{32}$/);
    const rows = await h.s.db.db.selectFrom("setup_tokens").selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).toBe(sha256Hex(token as string));
    expect(await dumpDatabase(h)).not.toContain(token as string);

    await h.user();
    expect(await h.s.identity.issueSetupToken()).toBeNull();
    expect((await h.json("GET", "/api/setup")).body).toEqual({ needsSetup: false });
  });

  it("creates the first owner and team, audited, and the owner can sign in", async () => {
    const h = await fresh();
    const token = (await h.s.identity.issueSetupToken()) as string;
    const r = await h.json<{ ok: boolean; userId: string; teamId: string }>("POST", "/api/setup", {
      body: owner(token, { team: "acme" }),
    });
    expect(r.status).toBe(201);
    expect(r.body.ok).toBe(true);
    const members = await h.s.teams.memberships(r.body.userId);
    expect(members).toEqual([{ teamId: r.body.teamId, slug: "acme", name: "acme", role: "owner" }]);
    const audit = await auditRows(h);
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(["team.created", "member.added", "user.created"]),
    );
    const created = audit.find((a) => a.action === "user.created");
    expect(created).toMatchObject({ team_id: r.body.teamId, target_id: r.body.userId, actor_type: "system" });
    expect(JSON.stringify(audit)).not.toContain("correct horse battery staple");
    expect((await h.json("GET", "/api/setup")).body).toEqual({ needsSetup: false });

    const cookie = await h.signIn({
      email: "first.owner@example.test",
      password: "correct horse battery staple",
    });
    const me = await h.json<{ user: { email: string } }>("GET", "/api/me", { cookie });
    expect(me.body.user.email).toBe("first.owner@example.test");
  });

  it("defaults the team slug to 'default'", async () => {
    const h = await fresh();
    const token = (await h.s.identity.issueSetupToken()) as string;
    const r = await h.json<{ userId: string }>("POST", "/api/setup", { body: owner(token) });
    expect(r.status).toBe(201);
    expect((await h.s.teams.memberships(r.body.userId))[0]?.slug).toBe("default");
  });

  it("is single use", async () => {
    const h = await fresh();
    const token = (await h.s.identity.issueSetupToken()) as string;
    expect((await h.json("POST", "/api/setup", { body: owner(token) })).status).toBe(201);
    const again = await h.json<{ ok: boolean; error: { code: string } }>("POST", "/api/setup", {
      body: owner(token, { email: "second@example.test" }),
    });
    expect(again.status).toBe(403);
    expect(again.body.error.code).toBe("FORBIDDEN");
    expect(await h.s.identity.findUserByEmail("second@example.test")).toBeUndefined();
  });

  it("expires after one hour", async () => {
    const clock = new FakeClock();
    const h = await fresh(clock);
    const stale = (await h.s.identity.issueSetupToken()) as string;
    clock.advance(3_600_000);
    expect((await h.json("POST", "/api/setup", { body: owner(stale) })).status).toBe(403);
    // Still well within an hour of issue: accepted.
    const token = (await h.s.identity.issueSetupToken()) as string;
    clock.advance(3_599_000);
    expect((await h.json("POST", "/api/setup", { body: owner(token) })).status).toBe(201);
  });

  it("is refused once a user exists, even with a token issued before", async () => {
    const h = await fresh();
    const token = (await h.s.identity.issueSetupToken()) as string;
    await h.user();
    const r = await h.json<{ error: { code: string } }>("POST", "/api/setup", { body: owner(token) });
    expect([403, 409]).toContain(r.status);
    expect(await h.s.identity.findUserByEmail("first.owner@example.test")).toBeUndefined();
  });

  it("rejects a weak password with 400 without burning the token", async () => {
    const h = await fresh();
    const token = (await h.s.identity.issueSetupToken()) as string;
    const weak = await h.json<{ error: { code: string; message: string } }>("POST", "/api/setup", {
      body: owner(token, { password: "short-pw-11" }),
    });
    expect(weak.status).toBe(400);
    expect(weak.body.error.message).toMatch(/at least 12/);
    expect((await h.json("POST", "/api/setup", { body: owner(token) })).status).toBe(201);
  });

  it("rejects a bad email, a wrong token and a cross-origin post", async () => {
    const h = await fresh();
    const token = (await h.s.identity.issueSetupToken()) as string;
    expect((await h.json("POST", "/api/setup", { body: owner(token, { email: "nope" }) })).status).toBe(400);
    expect((await h.json("POST", "/api/setup", { body: owner(`${token}x`) })).status).toBe(403);
    const foreign = await h.json("POST", "/api/setup", {
      body: owner(token),
      origin: "https://evil.example",
    });
    expect(foreign.status).toBe(403);
    expect((await h.json("GET", "/api/setup")).body).toEqual({ needsSetup: true });
  });
});
