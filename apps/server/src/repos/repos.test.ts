// GET /repos and /repos/{id}: shape, team scoping, the q substring filter and cursor paging.
import type { Repo } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API, dataOf, type Env, errorOf, walk } from "../runs/test-support/api.js";
import { createHarness, FakeClock, type Harness, type TestUser } from "../test-support/harness.js";

let h: Harness;
const clock = new FakeClock();
beforeAll(async () => {
  h = await createHarness({ clock });
});
afterAll(async () => {
  await h.close();
});

type Page = { repos: Repo[]; nextCursor: string | null };
const list = (token: string, query = "") => h.json<Env<Page>>("GET", `${API}/repos${query}`, { token });

async function team(): Promise<{ user: TestUser; token: string }> {
  const user = await h.user();
  return { user, token: (await h.pat(user)).token };
}

async function addRepo(teamId: string, fullName: string, extra: Record<string, unknown> = {}) {
  clock.advance(1000);
  return h.s.repos.add(
    { teamId, fullName, sourceUrl: "https://example.invalid/r.git", ...extra },
    { actorType: "system", actorId: null },
  );
}

describe("GET /repos", () => {
  it("lists the team's repos newest first with the spec's fields", async () => {
    const t = await team();
    const older = await addRepo(t.user.teamId, "acme/api", {
      defaultBranch: "trunk",
      rootDirectory: "./svc//",
    });
    const newer = await addRepo(t.user.teamId, "acme/web", { installCommand: "npm ci", port: 3000 });
    const r = await list(t.token);
    expect(r.status).toBe(200);
    const { repos, nextCursor } = dataOf(r.body);
    expect(nextCursor).toBeNull();
    expect(repos.map((x) => x.fullName)).toEqual(["acme/web", "acme/api"]);
    expect(repos[1]).toEqual({
      id: older.id,
      teamId: t.user.teamId,
      fullName: "acme/api",
      defaultBranch: "trunk",
      rootDirectory: "svc",
      installCommand: null,
      devCommand: null,
      port: null,
      environmentSource: null,
      createdAt: older.createdAt,
    });
    expect(repos[0]).toMatchObject({ id: newer.id, installCommand: "npm ci", port: 3000 });
    // The clone source is where credentials would live; it is not part of the public shape.
    expect(JSON.stringify(r.body)).not.toContain("example.invalid");
  });

  it("gets one repo, and answers 404 alike for unknown and other teams' repos", async () => {
    const t = await team();
    const other = await team();
    const mine = await addRepo(t.user.teamId, "acme/mine");
    const theirs = await addRepo(other.user.teamId, "acme/theirs");
    const got = await h.json<Env<{ repo: Repo }>>("GET", `${API}/repos/${mine.id}`, { token: t.token });
    expect(dataOf(got.body).repo).toEqual(mine);
    const foreign = await h.json<Env<never>>("GET", `${API}/repos/${theirs.id}`, { token: t.token });
    const unknown = await h.json<Env<never>>("GET", `${API}/repos/nope`, { token: t.token });
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(errorOf(foreign.body).message).toBe(errorOf(unknown.body).message);
    expect(dataOf((await list(t.token)).body).repos.map((x) => x.id)).toEqual([mine.id]);
  });

  it("filters by a case-insensitive substring of the full name, treating wildcards literally", async () => {
    const t = await team();
    for (const name of ["acme/foo_bar", "acme/fooXbar", "Acme/Widget", "other/thing", "acme/100-percent"]) {
      await addRepo(t.user.teamId, name);
    }
    const names = async (q: string) =>
      dataOf((await list(t.token, `?q=${encodeURIComponent(q)}`)).body).repos.map((x) => x.fullName);
    expect(await names("widget")).toEqual(["Acme/Widget"]);
    expect(await names("ACME/")).toEqual(["acme/100-percent", "Acme/Widget", "acme/fooXbar", "acme/foo_bar"]);
    expect(await names("foo_")).toEqual(["acme/foo_bar"]);
    expect(await names("%")).toEqual([]);
    expect(await names("r/th")).toEqual(["other/thing"]);
    expect(await names("nothing-like-it")).toEqual([]);
    expect(await names("")).toHaveLength(5);
    expect((await list(t.token, `?q=${"x".repeat(201)}`)).status).toBe(400);
  });

  it("walks 7 repos in pages of 3 without duplicates or gaps, and pages within a filter", async () => {
    const t = await team();
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await addRepo(t.user.teamId, `acme/r${i}`)).id);
    const { ids, pageSizes } = await walk(h, t.token, `${API}/repos`, "repos", 3);
    expect(pageSizes).toEqual([3, 3, 1]);
    expect(ids).toEqual([...made].reverse());
    const filtered = await walk(h, t.token, `${API}/repos?q=r`, "repos", 3);
    expect(filtered.ids).toEqual([...made].reverse());
  });

  it("clamps limit=0 to one item and rejects a tampered cursor", async () => {
    const t = await team();
    await addRepo(t.user.teamId, "acme/a");
    await addRepo(t.user.teamId, "acme/b");
    const page = dataOf((await list(t.token, "?limit=0")).body);
    expect(page.repos).toHaveLength(1);
    expect(page.nextCursor).toEqual(expect.any(String));
    const cursor = page.nextCursor ?? "";
    const decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    expect(Object.keys(decoded).sort()).toEqual(["createdAt", "id"]);
    const next = dataOf((await list(t.token, `?limit=1&cursor=${cursor}`)).body);
    expect(next.repos.map((x) => x.fullName)).toEqual(["acme/a"]);
    const tampered = `${cursor.slice(0, -3)}$$$`;
    expect((await list(t.token, `?cursor=${encodeURIComponent(tampered)}`)).status).toBe(400);
  });

  it("requires a bearer token: no token 401, a session cookie is ignored", async () => {
    const u = await h.user();
    const cookie = await h.signIn(u);
    const noToken = await h.json<Env<never>>("GET", `${API}/repos`);
    expect(noToken.status).toBe(401);
    expect(noToken.res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await h.json("GET", `${API}/repos`, { cookie })).status).toBe(401);
  });
});
