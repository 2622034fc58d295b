// Role rules on team routes: who may invite, promote, demote and remove; 404 across teams; audited changes.

import type { Role } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRows } from "../identity/test-support/db.js";
import { createHarness, type Harness, type TestUser, uniq } from "../test-support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

interface Team {
  owner: TestUser;
  admin: TestUser;
  member: TestUser;
  viewer: TestUser;
  cookies: Record<Role, string>;
}

async function team(): Promise<Team> {
  const owner = await h.user();
  const admin = await h.user({ team: owner.team, role: "admin" });
  const member = await h.user({ team: owner.team, role: "member" });
  const viewer = await h.user({ team: owner.team, role: "viewer" });
  const cookies = {
    owner: await h.signIn(owner),
    admin: await h.signIn(admin),
    member: await h.signIn(member),
    viewer: await h.signIn(viewer),
  };
  return { owner, admin, member, viewer, cookies };
}

const setRole = (t: Team, as: Role, userId: string, role: string) =>
  h.json<{ error: { code: string } }>("PATCH", `/api/teams/${t.owner.teamId}/members/${userId}`, {
    cookie: t.cookies[as],
    body: { role },
  });
const remove = (t: Team, as: Role, userId: string) =>
  h.json<{ error: { code: string } }>("DELETE", `/api/teams/${t.owner.teamId}/members/${userId}`, {
    cookie: t.cookies[as],
  });
const inviteAs = (t: Team, as: Role, role: string) =>
  h.json("POST", `/api/teams/${t.owner.teamId}/invitations`, {
    cookie: t.cookies[as],
    body: { email: `${uniq("r")}@example.test`, role },
  });

describe("team roles", () => {
  it("lets owners and admins invite; members and viewers get 403", async () => {
    const t = await team();
    expect((await inviteAs(t, "owner", "owner")).status).toBe(201);
    for (const role of ["admin", "member", "viewer"])
      expect((await inviteAs(t, "admin", role)).status).toBe(201);
    expect((await inviteAs(t, "admin", "owner")).status).toBe(403);
    expect((await inviteAs(t, "member", "viewer")).status).toBe(403);
    expect((await inviteAs(t, "viewer", "viewer")).status).toBe(403);
    expect((await inviteAs(t, "owner", "superuser")).status).toBe(400);
    const list = (as: Role) =>
      h.json("GET", `/api/teams/${t.owner.teamId}/invitations`, { cookie: t.cookies[as] });
    expect((await list("admin")).status).toBe(200);
    expect((await list("member")).status).toBe(403);
  });

  it("lets every member list members; outsiders get 404", async () => {
    const t = await team();
    const outsider = await h.user();
    const path = `/api/teams/${t.owner.teamId}/members`;
    const r = await h.json<{ members: Array<{ userId: string; role: string }> }>("GET", path, {
      cookie: t.cookies.viewer,
    });
    expect(r.status).toBe(200);
    expect(r.body.members.map((m) => m.role).sort()).toEqual(["admin", "member", "owner", "viewer"]);
    expect((await h.json("GET", path, { cookie: await h.signIn(outsider) })).status).toBe(404);
  });

  it("lets an admin change non-owner roles, audited; members and viewers cannot", async () => {
    const t = await team();
    expect((await setRole(t, "member", t.viewer.userId, "member")).status).toBe(403);
    expect((await setRole(t, "viewer", t.member.userId, "viewer")).status).toBe(403);
    expect((await setRole(t, "admin", t.member.userId, "admin")).status).toBe(200);
    expect(await h.s.teams.roleOf(t.member.userId, t.owner.teamId)).toBe("admin");
    const row = (await auditRows(h, "member.role_changed")).find((a) => a.target_id === t.member.userId);
    expect(row).toMatchObject({ team_id: t.owner.teamId, actor_id: t.admin.userId });
    expect(row?.payload).toEqual({ from: "member", to: "admin" });
    expect((await setRole(t, "owner", t.member.userId, "root")).status).toBe(400);
  });

  it("keeps the owner role for owners: an admin can neither grant it nor touch an owner", async () => {
    const t = await team();
    expect((await setRole(t, "admin", t.member.userId, "owner")).status).toBe(403);
    expect((await setRole(t, "admin", t.admin.userId, "owner")).status).toBe(403);
    expect((await setRole(t, "admin", t.owner.userId, "member")).status).toBe(403);
    expect((await remove(t, "admin", t.owner.userId)).status).toBe(403);
    expect(await h.s.teams.roleOf(t.owner.userId, t.owner.teamId)).toBe("owner");
    expect(await h.s.teams.roleOf(t.admin.userId, t.owner.teamId)).toBe("admin");
    expect((await setRole(t, "owner", t.admin.userId, "owner")).status).toBe(200);
    expect(await h.s.teams.roleOf(t.admin.userId, t.owner.teamId)).toBe("owner");
  });

  it("never leaves a team without an owner (409)", async () => {
    const t = await team();
    const demote = await setRole(t, "owner", t.owner.userId, "admin");
    expect(demote.status).toBe(409);
    expect(demote.body.error.code).toBe("CONFLICT");
    expect((await remove(t, "owner", t.owner.userId)).status).toBe(409);
    expect(await h.s.teams.roleOf(t.owner.userId, t.owner.teamId)).toBe("owner");
    // With a second owner, the first may step down.
    expect((await setRole(t, "owner", t.admin.userId, "owner")).status).toBe(200);
    expect((await setRole(t, "owner", t.owner.userId, "member")).status).toBe(200);
    expect((await setRole(t, "admin", t.admin.userId, "viewer")).status).toBe(409);
  });

  it("removes members (audited; their tokens stop working) and lets people leave", async () => {
    const t = await team();
    const pat = await h.pat(t.member);
    expect((await h.json("GET", "/api/v1/mogplex/repos", { token: pat.token })).status).toBe(200);
    expect((await remove(t, "viewer", t.member.userId)).status).toBe(403);
    expect((await remove(t, "admin", t.member.userId)).status).toBe(200);
    expect((await h.json("GET", "/api/v1/mogplex/repos", { token: pat.token })).status).toBe(401);
    const row = (await auditRows(h, "member.removed")).find((a) => a.target_id === t.member.userId);
    expect(row).toMatchObject({ team_id: t.owner.teamId, actor_id: t.admin.userId });
    expect((await remove(t, "admin", t.member.userId)).status).toBe(404);
    expect((await remove(t, "viewer", t.viewer.userId)).status).toBe(200);
    expect(
      (await h.json("GET", `/api/teams/${t.owner.teamId}/members`, { cookie: t.cookies.viewer })).status,
    ).toBe(404);
  });

  it("answers 404, not 403, for another team's ids", async () => {
    const t = await team();
    const other = await team();
    const foreignTeam = other.owner.teamId;
    const asOwner = { cookie: t.cookies.owner };
    const cases: Array<[string, string, unknown?]> = [
      ["GET", `/api/teams/${foreignTeam}/members`],
      ["GET", `/api/teams/${foreignTeam}/invitations`],
      ["POST", `/api/teams/${foreignTeam}/invitations`, { email: "x@example.test", role: "viewer" }],
      ["PATCH", `/api/teams/${foreignTeam}/members/${other.member.userId}`, { role: "viewer" }],
      ["DELETE", `/api/teams/${foreignTeam}/members/${other.member.userId}`],
      ["GET", `/api/teams/${foreignTeam}/audit-events`],
      // Own team in the path, someone else's member in it.
      ["PATCH", `/api/teams/${t.owner.teamId}/members/${other.member.userId}`, { role: "viewer" }],
      ["DELETE", `/api/teams/${t.owner.teamId}/members/${other.member.userId}`],
    ];
    for (const [method, path, body] of cases) {
      const r = await h.json(method, path, { ...asOwner, body });
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 404 });
    }
    const inv = await h.json<{ id: string }>("POST", `/api/teams/${foreignTeam}/invitations`, {
      cookie: other.cookies.owner,
      body: { email: "y@example.test", role: "viewer" },
    });
    const cross = await h.json("DELETE", `/api/teams/${t.owner.teamId}/invitations/${inv.body.id}`, asOwner);
    expect(cross.status).toBe(404);
    expect(await h.s.teams.roleOf(other.member.userId, foreignTeam)).toBe("member");
  });

  it("refuses role changes with a PAT or from a foreign origin", async () => {
    const t = await team();
    const { token } = await h.pat(t.owner);
    const path = `/api/teams/${t.owner.teamId}/members/${t.member.userId}`;
    expect((await h.json("PATCH", path, { token, body: { role: "viewer" } })).status).toBe(403);
    const foreign = await h.json("PATCH", path, {
      cookie: t.cookies.owner,
      body: { role: "viewer" },
      origin: "https://evil.example",
    });
    expect(foreign.status).toBe(403);
    expect(await h.s.teams.roleOf(t.member.userId, t.owner.teamId)).toBe("member");
  });
});
