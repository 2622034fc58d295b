// The web app's session routes: who am I, team scoping, repos (add by owners/admins only), device lookups.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRows } from "../identity/test-support/db.js";
import { createHarness, type Harness, type TestUser, uniq } from "../test-support/harness.js";
import { CLONE_URL_RULE, remoteCloneUrl } from "./routes.js";

let h: Harness;
let owner: TestUser;
let ownerCookie: string;

type Env<T> =
  | { ok: true; data: T }
  | { ok: false; error: { code: string; message: string; requestId?: string } };
const data = <T>(b: Env<T>): T => {
  if (!b.ok) throw new Error(`expected success, got ${JSON.stringify(b.error)}`);
  return b.data;
};

/** Another member of owner's team, with the given role, signed in. */
async function teammate(role: "admin" | "member" | "viewer"): Promise<{ u: TestUser; cookie: string }> {
  const u = await h.user({ team: owner.team, role });
  return { u, cookie: await h.signIn(u) };
}

beforeAll(async () => {
  h = await createHarness();
  owner = await h.user();
  ownerCookie = await h.signIn(owner);
});
afterAll(async () => {
  await h.close();
});

describe("GET /api/web/session", () => {
  it("needs a browser session: none → 401, a PAT → 403", async () => {
    expect((await h.request("GET", "/api/web/session")).status).toBe(401);
    const { token } = await h.pat(owner);
    expect((await h.request("GET", "/api/web/session", { token })).status).toBe(403);
  });

  it("answers the user, 2FA state, teams with roles and the active team, and no secret at all", async () => {
    const r = await h.json<Env<Record<string, unknown>>>("GET", "/api/web/session", { cookie: ownerCookie });
    expect(r.status).toBe(200);
    expect(r.res.headers.get("cache-control")).toBe("no-store");
    const d = data(r.body) as {
      user: { email: string; twoFactorEnabled: boolean };
      teams: Array<{ teamId: string; role: string }>;
      activeTeamId: string;
    };
    expect(d.user.email).toBe(owner.email);
    expect(d.user.twoFactorEnabled).toBe(false);
    expect(d.teams).toEqual([expect.objectContaining({ teamId: owner.teamId, role: "owner" })]);
    expect(d.activeTeamId).toBe(owner.teamId);
    const text = JSON.stringify(r.body);
    const sessionToken = decodeURIComponent(ownerCookie.split("=")[1]?.split(".")[0] ?? "");
    expect(sessionToken.length).toBeGreaterThan(10);
    expect(text).not.toContain(sessionToken);
    expect(text).not.toMatch(/token|password|secret/i);
  });

  it("acts in the team named by X-Mogplex-Team only when the user belongs to it", async () => {
    const other = await h.user();
    await h.s.teams.addMember(h.s.db.db, other.teamId, owner.userId, "viewer", {
      actorType: "system",
      actorId: null,
    });
    const pick = await h.json<Env<{ activeTeamId: string }>>("GET", "/api/web/session", {
      cookie: ownerCookie,
      headers: { "x-mogplex-team": other.team },
    });
    expect(data(pick.body).activeTeamId).toBe(other.teamId);
    const stranger = await h.user();
    const repos = await h.request("GET", "/api/web/repos", {
      cookie: ownerCookie,
      headers: { "x-mogplex-team": stranger.teamId },
    });
    expect(repos.status).toBe(404);
  });
});

describe("repos", () => {
  it("lists only the active team's repos", async () => {
    const mine = await h.repo(owner.teamId, `acme/${uniq("mine")}`);
    const stranger = await h.user();
    const theirs = await h.repo(stranger.teamId);
    const r = await h.json<Env<{ repos: Array<{ id: string }>; nextCursor: string | null }>>(
      "GET",
      "/api/web/repos",
      {
        cookie: ownerCookie,
      },
    );
    const ids = data(r.body).repos.map((x) => x.id);
    expect(ids).toContain(mine);
    expect(ids).not.toContain(theirs);
    expect((await h.request("GET", `/api/web/repos/${theirs}`, { cookie: ownerCookie })).status).toBe(404);
    expect((await h.request("GET", `/api/web/repos/${mine}`, { cookie: ownerCookie })).status).toBe(200);
    const bad = await h.json<Env<unknown>>("GET", "/api/web/repos?limit=abc", { cookie: ownerCookie });
    expect(bad.status).toBe(400);
  });

  it("lets owners and admins add a repo by clone URL, audited", async () => {
    const { cookie } = await teammate("admin");
    const fullName = `acme/${uniq("web")}`;
    const r = await h.json<Env<{ repo: { id: string; fullName: string; defaultBranch: string } }>>(
      "POST",
      "/api/web/repos",
      {
        cookie,
        body: { fullName, cloneUrl: "https://git.example.test/acme/web.git", defaultBranch: "trunk" },
      },
    );
    expect(r.status).toBe(201);
    const repo = data(r.body).repo;
    expect(repo).toMatchObject({ fullName, defaultBranch: "trunk" });
    const rows = await auditRows(h, "repo.added");
    expect(rows.some((row) => row.target_id === repo.id && row.team_id === owner.teamId)).toBe(true);
    const again = await h.json<Env<unknown>>("POST", "/api/web/repos", {
      cookie,
      body: { fullName, cloneUrl: "https://git.example.test/acme/web.git" },
    });
    expect(again.status).toBe(409);
  });

  it("offers members and viewers no way to add one (403), and refuses cross-site posts", async () => {
    for (const role of ["member", "viewer"] as const) {
      const { cookie } = await teammate(role);
      const r = await h.json<Env<unknown>>("POST", "/api/web/repos", {
        cookie,
        body: { fullName: `acme/${uniq("no")}`, cloneUrl: "https://git.example.test/x.git" },
      });
      expect(r.status, role).toBe(403);
    }
    const forged = await h.request("POST", "/api/web/repos", {
      cookie: ownerCookie,
      origin: "https://evil.example",
      body: { fullName: `acme/${uniq("csrf")}`, cloneUrl: "https://git.example.test/x.git" },
    });
    expect(forged.status).toBe(403);
    const form = await h.request("POST", "/api/web/repos", {
      cookie: ownerCookie,
      rawBody: "fullName=a%2Fb&cloneUrl=https%3A%2F%2Fx",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
  });

  it("accepts only remote clone URLs without credentials (a server path is the operator's call)", async () => {
    for (const ok of [
      "https://github.com/acme/api.git",
      "ssh://git@github.com/acme/api.git",
      "git@github.com:acme/api.git",
    ]) {
      expect(remoteCloneUrl(ok), ok).toBeTruthy();
    }
    for (const bad of [
      "/srv/git/other-team.git",
      "file:///srv/git/other-team.git",
      "../../secret",
      "http://git.internal/acme.git",
      "https://user:ghp_secret@github.com/acme/api.git",
      "https://ghp_secret@github.com/acme/api.git",
      "git@github.com:../../etc",
      "javascript:alert(1)",
    ]) {
      const r = await h.json<Env<unknown>>("POST", "/api/web/repos", {
        cookie: ownerCookie,
        body: { fullName: `acme/${uniq("bad")}`, cloneUrl: bad },
      });
      expect(r.status, bad).toBe(400);
      const message = (r.body as { error: { message: string } }).error.message;
      expect([CLONE_URL_RULE, "cloneUrl must not contain credentials"], bad).toContain(message);
      expect(message).not.toContain("ghp_secret");
    }
  });
});

describe("GET /api/web/device-requests/:userCode", () => {
  it("shows when and from where a pending code was requested; unknown or malformed codes are 404", async () => {
    const started = await h.s.cliAuth.startDevice({ ip: "203.0.113.9", userAgent: "mogplex-cli" });
    const dashed = `${started.userCode.slice(0, 4)}-${started.userCode.slice(4)}`;
    const r = await h.json<Env<{ userCode: string; requesterIp: string; requestedAt: string }>>(
      "GET",
      `/api/web/device-requests/${dashed.toLowerCase()}`,
      { cookie: ownerCookie },
    );
    expect(r.status).toBe(200);
    expect(data(r.body)).toMatchObject({ userCode: dashed, requesterIp: "203.0.113.9" });
    expect(JSON.stringify(r.body)).not.toContain(started.deviceCode);
    for (const code of ["BCDF-GHJK", "not-a-code", "0000-0000"]) {
      expect(
        (await h.request("GET", `/api/web/device-requests/${code}`, { cookie: ownerCookie })).status,
      ).toBe(404);
    }
    expect((await h.request("GET", `/api/web/device-requests/${dashed}`)).status).toBe(401);
  });
});
