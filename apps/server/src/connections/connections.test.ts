// Connections and the MCP registry: roles, validation, repo scope and exclusions, and the resolved-config route.
import { PUBLIC_BASE } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, type TestUser } from "../test-support/harness.js";

type Conn = { id: string; name: string; headerNames: string[]; envNames: string[]; scope: string };
type Resolved = {
  servers: Array<{ id: string; name: string; headers: Record<string, string>; env: Record<string, string> }>;
  nextCursor: string | null;
};

describe("connections", () => {
  let h: Harness;
  let owner: TestUser;
  let cookie: string;
  let repo1: string;
  let repo2: string;
  const ids: Record<string, string> = {};

  const base = () => `/api/teams/${owner.teamId}/connections`;
  const add = async (body: Record<string, unknown>, c = cookie) =>
    h.json<{ connection: Conn }>("POST", base(), { cookie: c, body });
  const resolved = async (token: string, query = "") =>
    h.json<{ ok: boolean; data: Resolved }>("GET", `${PUBLIC_BASE}/mcp/servers${query}`, { token });

  beforeAll(async () => {
    h = await createHarness();
    owner = await h.user();
    cookie = await h.signIn(owner);
    repo1 = await h.repo(owner.teamId, "acme/one");
    repo2 = await h.repo(owner.teamId, "acme/two");
    for (const [name, body] of [
      ["alpha", { url: "https://alpha.example/mcp", headers: { Authorization: "Bearer alpha-secret" } }],
      ["beta", { command: "cat", args: ["--flag"], env: { BETA_TOKEN: "beta-secret" } }],
      ["gamma", { url: "https://gamma.example/mcp", repoId: repo1 }],
    ] as const) {
      const r = await add({ kind: "mcp_server", name, ...body });
      expect(r.status).toBe(201);
      ids[name] = r.body.connection.id;
    }
    expect(
      (
        await add({
          kind: "rest",
          name: "rest-api",
          url: "https://api.example",
          headers: { "X-Key": "rest-secret" },
        })
      ).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await h?.close();
  });

  it("lists names of headers and env, never their values", async () => {
    const member = await h.user({ team: owner.team, role: "member" });
    const r = await h.json<{ connections: Conn[] }>("GET", base(), { cookie: await h.signIn(member) });
    expect(r.status).toBe(200);
    const alpha = r.body.connections.find((c) => c.name === "alpha");
    expect(alpha?.headerNames).toEqual(["Authorization"]);
    expect(r.body.connections.find((c) => c.name === "beta")?.envNames).toEqual(["BETA_TOKEN"]);
    expect(JSON.stringify(r.body)).not.toMatch(/alpha-secret|beta-secret|rest-secret/);
  });

  it("only owners and admins register, change and delete; another team's connection is 404", async () => {
    const member = await h.user({ team: owner.team, role: "member" });
    const memberCookie = await h.signIn(member);
    expect(
      (await add({ kind: "mcp_server", name: "nope", url: "https://x.example" }, memberCookie)).status,
    ).toBe(403);
    expect(
      (await h.json("PATCH", `${base()}/${ids.alpha}`, { cookie: memberCookie, body: { enabled: false } }))
        .status,
    ).toBe(403);
    expect((await h.json("DELETE", `${base()}/${ids.alpha}`, { cookie: memberCookie })).status).toBe(403);
    const admin = await h.user({ team: owner.team, role: "admin" });
    const adminCookie = await h.signIn(admin);
    const made = await add({ kind: "mcp_server", name: "by-admin", url: "https://x.example" }, adminCookie);
    expect(made.status).toBe(201);
    expect(
      (await h.json("DELETE", `${base()}/${made.body.connection.id}`, { cookie: adminCookie })).status,
    ).toBe(200);
    const stranger = await h.user();
    const strangerCookie = await h.signIn(stranger);
    expect((await h.json("GET", `${base()}/${ids.alpha}`, { cookie: strangerCookie })).status).toBe(404);
    const foreignPatch = await h.json("PATCH", `/api/teams/${stranger.teamId}/connections/${ids.alpha}`, {
      cookie: strangerCookie,
      body: { enabled: false },
    });
    expect(foreignPatch.status).toBe(404);
  });

  it("validates shape: one of url/command, no credentials in URLs, no reserved headers, unique names", async () => {
    const bad = [
      { kind: "mcp_server", name: "x1", url: "https://a.example", command: "b" },
      { kind: "mcp_server", name: "x2" },
      { kind: "mcp_server", name: "x3", url: "https://user:pass@a.example/mcp" },
      { kind: "mcp_server", name: "x4", url: "ftp://a.example" },
      { kind: "mcp_server", name: "x5", url: "https://a.example", headers: { Host: "evil" } },
      { kind: "mcp_server", name: "x6", url: "https://a.example", headers: { X: "a\r\nInjected: 1" } },
      { kind: "mcp_server", name: "x7", url: "https://a.example", env: { A: "b" } },
      { kind: "mcp_server", name: "bad__name", url: "https://a.example" },
      { kind: "rest", name: "x8", command: "c" },
      { kind: "mcp_server", name: "x9", url: "https://a.example", repoId: "no-such-repo" },
      { kind: "mcp_server", name: "x10", url: "https://a.example", egressHosts: ["api.example"] },
      { kind: "rest", name: "x11", url: "https://a.example", egressHosts: ["api.example"] },
      { kind: "mcp_server", name: "x12", command: "c", egressHosts: ["10.0.0.1:443"] },
      { kind: "mcp_server", name: "x13", command: "c", egressHosts: ["*"] },
    ];
    for (const body of bad)
      expect((await add(body)).status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
    expect(
      (await add({ kind: "mcp_server", name: "x9", url: "https://a.example", repoId: "no-such-repo" }))
        .status,
    ).toBe(404);
    expect((await add({ kind: "mcp_server", name: "alpha", url: "https://dup.example" })).status).toBe(409);
  });

  it("keeps a stdio server's egress allowlist (sandbox network) and lets admins change it", async () => {
    const r = await add({ kind: "mcp_server", name: "net", command: "cat", egressHosts: ["api.github.com"] });
    expect(r.status).toBe(201);
    expect(r.body.connection).toMatchObject({ egressHosts: ["api.github.com"] });
    const id = r.body.connection.id;
    const patched = await h.json<{ connection: Conn }>("PATCH", `${base()}/${id}`, {
      cookie,
      body: { egressHosts: ["*.githubusercontent.com", "api.github.com"] },
    });
    expect(patched.body.connection).toMatchObject({
      egressHosts: ["*.githubusercontent.com", "api.github.com"],
    });
    const onHttp = await h.json("PATCH", `${base()}/${ids.alpha}`, {
      cookie,
      body: { egressHosts: ["a.example"] },
    });
    expect(onHttp.status).toBe(400);
    expect((await h.json("DELETE", `${base()}/${id}`, { cookie })).status).toBe(200);
  });

  it("resolves team-global servers, or a repo's view: globals minus exclusions plus its own", async () => {
    const token = (await h.pat(owner, { scopes: ["read"] })).token;
    const names = async (q = "") => (await resolved(token, q)).body.data.servers.map((s) => s.name).sort();
    expect(await names()).toEqual(["alpha", "beta"]);
    expect(await names(`?repoId=${repo1}`)).toEqual(["alpha", "beta", "gamma"]);
    const ex = await h.json("POST", `/api/teams/${owner.teamId}/repos/${repo1}/exclusions/${ids.beta}`, {
      cookie,
    });
    expect(ex.status).toBe(200);
    // Healthy and enabled, still gone for this repo only.
    expect(await names(`?repoId=${repo1}`)).toEqual(["alpha", "gamma"]);
    expect(await names(`?repoId=${repo2}`)).toEqual(["alpha", "beta"]);
    expect(await names()).toEqual(["alpha", "beta"]);
    const repoView = await h.json<{ connections: Conn[]; excluded: string[] }>(
      "GET",
      `${base()}?repoId=${repo1}`,
      { cookie },
    );
    expect(repoView.body.excluded).toEqual([ids.beta]);
    expect(
      (await h.json("DELETE", `/api/teams/${owner.teamId}/repos/${repo1}/exclusions/${ids.beta}`, { cookie }))
        .status,
    ).toBe(200);
    expect(await names(`?repoId=${repo1}`)).toEqual(["alpha", "beta", "gamma"]);
    // A repo-scoped server can't be excluded, and another team's repo is not found.
    expect(
      (await h.json("POST", `/api/teams/${owner.teamId}/repos/${repo1}/exclusions/${ids.gamma}`, { cookie }))
        .status,
    ).toBe(400);
    const stranger = await h.user();
    const foreignRepo = await h.repo(stranger.teamId);
    expect((await resolved(token, `?repoId=${foreignRepo}`)).status).toBe(404);
    // Disabled servers are not part of the resolved config.
    await h.json("PATCH", `${base()}/${ids.alpha}`, { cookie, body: { enabled: false } });
    expect(await names()).toEqual(["beta"]);
    await h.json("PATCH", `${base()}/${ids.alpha}`, { cookie, body: { enabled: true } });
  });

  it("serves decrypted headers and env with Cache-Control: no-store, and audits every read", async () => {
    const token = (await h.pat(owner, { scopes: ["read"] })).token;
    const count = async () =>
      (
        await h.s.db.db
          .selectFrom("audit_events")
          .select("id")
          .where("action", "=", "mcp_servers.read")
          .execute()
      ).length;
    const before = await count();
    const r = await resolved(token);
    expect(r.status).toBe(200);
    expect(r.res.headers.get("cache-control")).toBe("no-store");
    const alpha = r.body.data.servers.find((s) => s.name === "alpha");
    expect(alpha?.headers).toEqual({ Authorization: "Bearer alpha-secret" });
    expect(r.body.data.servers.find((s) => s.name === "beta")?.env).toEqual({ BETA_TOKEN: "beta-secret" });
    await resolved(token, `?repoId=${repo1}`);
    expect(await count()).toBe(before + 2);
    const rows = await h.s.db.db
      .selectFrom("audit_events")
      .selectAll()
      .where("action", "=", "mcp_servers.read")
      .orderBy("seq", "desc")
      .limit(2)
      .execute();
    expect(rows[0]?.auth_source).toBe("pat");
    expect(rows[0]?.actor_id).toBe(owner.userId);
    expect(JSON.stringify(rows)).not.toMatch(/alpha-secret|beta-secret/);
    expect(JSON.parse(rows[1]?.payload ?? "{}").servers).toEqual(
      expect.arrayContaining([ids.alpha, ids.beta]),
    );
  });

  it("requires a read-scoped PAT of a non-viewer", async () => {
    expect((await h.json("GET", `${PUBLIC_BASE}/mcp/servers`)).status).toBe(401);
    expect((await h.json("GET", `${PUBLIC_BASE}/mcp/servers`, { cookie })).status).toBe(401);
    const writeOnly = (await h.pat(owner, { scopes: ["write"] })).token;
    expect((await resolved(writeOnly)).status).toBe(403);
    const viewer = await h.user({ team: owner.team, role: "viewer" });
    const v = await resolved((await h.pat(viewer, { scopes: ["read"] })).token);
    expect(v.status).toBe(403);
    expect(JSON.stringify(v.body)).not.toContain("alpha-secret");
  });

  it("audits changes without credential values", async () => {
    await h.json("PATCH", `${base()}/${ids.beta}`, {
      cookie,
      body: { env: { BETA_TOKEN: "rotated-beta-secret" } },
    });
    const rows = await h.s.db.db
      .selectFrom("audit_events")
      .selectAll()
      .where("target_id", "=", ids.beta ?? "")
      .execute();
    expect(rows.map((r) => r.action)).toEqual(
      expect.arrayContaining(["connection.created", "connection.updated"]),
    );
    expect(JSON.stringify(rows)).not.toMatch(/beta-secret/);
    const token = (await h.pat(owner, { scopes: ["read"] })).token;
    const beta = (await resolved(token)).body.data.servers.find((s) => s.name === "beta");
    expect(beta?.env).toEqual({ BETA_TOKEN: "rotated-beta-secret" });
  });
});
