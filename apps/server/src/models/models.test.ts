// The model catalogue, the team's model settings and run-time model checks, through the real app (both DBs):
// GET /models with a live OpenAI-compatible endpoint and a failing one, the owner/admin session routes, provider
// keys written sealed and never answered, logged or audited, and POST /runs: 400 for a model that can't run
// (before the allowlist), 403 + model.denied outside the allowlist, the team default as the run's model.
import { createServer, type Server } from "node:http";
import { PassThrough } from "node:stream";
import type { ModelCatalogue, TeamModelSettings } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ScriptedModel, startScriptedModel } from "../engine/test-support/scripted-model.js";
import { createLogger } from "../logger.js";
import { API, actor, dataOf, type Env, errorOf, ROOMY_BUDGETS, startRun } from "../runs/test-support/api.js";
import { createHarness, type Harness, type TestUser } from "../test-support/harness.js";

const KEY = "sk-ant-SENTINEL-team-key-4f2a9c";
const SERVER_OPENAI_KEY = "sk-server-openai-SENTINEL-77";
let h: Harness;
let model: ScriptedModel;
let logs = "";

beforeAll(async () => {
  model = await startScriptedModel({ models: ["scripted-coder", "scripted-large"] });
  const sink = new PassThrough();
  sink.on("data", (d: Buffer) => {
    logs += d.toString();
  });
  h = await createHarness({
    logger: createLogger("debug", sink),
    env: {
      ...ROOMY_BUDGETS,
      MOGPLEX_LOG_LEVEL: "debug",
      MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
      MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
      OPENAI_API_KEY: SERVER_OPENAI_KEY,
    },
  });
});
afterAll(async () => {
  await h?.close();
  await model?.close();
});

const settingsPath = (u: TestUser) => `/api/teams/${u.teamId}/model-settings`;
const keyPath = (u: TestUser, p: string) => `/api/teams/${u.teamId}/provider-keys/${p}`;

describe("GET /models", () => {
  it("lists built-in, server-default, team-default and endpoint models with credentials and allowlist", async () => {
    const a = await actor(h);
    const cookie = await h.signIn(a.user);
    const put = await h.json<Env<TeamModelSettings>>("PATCH", settingsPath(a.user), {
      cookie,
      body: {
        defaultModel: "openai-compatible/scripted-large",
        allowedModels: ["openai-compatible/scripted-large", "openai/gpt-5", "anthropic/claude-sonnet-4-5"],
      },
    });
    expect(put.status).toBe(200);
    const r = await h.json<Env<ModelCatalogue>>("GET", `${API}/models`, { token: a.token });
    expect(r.status).toBe(200);
    const cat = dataOf(r.body);
    expect(cat).toMatchObject({
      serverDefault: "openai-compatible/scripted-coder",
      teamDefault: "openai-compatible/scripted-large",
      effectiveDefault: "openai-compatible/scripted-large",
      endpoint: { configured: true, ok: true, error: null },
    });
    const byId = new Map(cat.models.map((m) => [m.id, m]));
    expect(byId.get("openai-compatible/scripted-large")).toMatchObject({
      provider: "openai-compatible",
      modelId: "scripted-large",
      hasCredentials: true,
      allowed: true,
    });
    expect(byId.get("openai-compatible/scripted-large")?.origins.sort()).toEqual([
      "allowlist",
      "endpoint",
      "team-default",
    ]);
    expect(byId.get("openai-compatible/scripted-coder")).toMatchObject({
      hasCredentials: true,
      allowed: false,
    });
    expect(byId.get("openai/gpt-5")).toMatchObject({ hasCredentials: true, allowed: true });
    expect(byId.get("anthropic/claude-sonnet-4-5")).toMatchObject({ hasCredentials: false, allowed: true });
    // A team key gives its provider credentials for that team only.
    await h.json("POST", keyPath(a.user, "anthropic"), { cookie, body: { key: KEY } });
    const after = dataOf(
      (await h.json<Env<ModelCatalogue>>("GET", `${API}/models`, { token: a.token })).body,
    );
    expect(after.models.find((m) => m.id === "anthropic/claude-sonnet-4-5")?.hasCredentials).toBe(true);
    const other = await actor(h);
    const theirs = dataOf(
      (await h.json<Env<ModelCatalogue>>("GET", `${API}/models`, { token: other.token })).body,
    );
    expect(theirs.models.find((m) => m.id === "anthropic/claude-sonnet-4-5")?.hasCredentials).toBe(false);
    expect(theirs.teamDefault).toBeNull();
    expect(theirs.effectiveDefault).toBe("openai-compatible/scripted-coder");
    expect(theirs.models.every((m) => m.allowed)).toBe(true);
  });

  it("reports a failing endpoint in the answer instead of failing the request", async () => {
    const broken: Server = createServer((_req, res) => res.writeHead(500).end("upstream SECRET-body"));
    await new Promise<void>((r) => broken.listen(0, "127.0.0.1", r));
    const port = (broken.address() as { port: number }).port;
    const h2 = await createHarness({
      env: { MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: `http://127.0.0.1:${port}/v1` },
    });
    try {
      const a = await actor(h2);
      const r = await h2.json<Env<ModelCatalogue>>("GET", `${API}/models`, { token: a.token });
      expect(r.status).toBe(200);
      const cat = dataOf(r.body);
      expect(cat.endpoint).toEqual({
        configured: true,
        ok: false,
        error: "the endpoint answered HTTP 500 to GET /models",
      });
      expect(cat.models.some((m) => m.origins.includes("endpoint"))).toBe(false);
      expect(cat.effectiveDefault).toBeNull();
      expect(JSON.stringify(cat)).not.toContain("SECRET-body");
    } finally {
      await h2.close();
      await new Promise<void>((r) => broken.close(() => r()));
    }
  });

  it("needs the read scope", async () => {
    const a = await actor(h);
    const { token } = await h.pat(a.user, { scopes: ["write"] });
    const r = await h.json<Env<unknown>>("GET", `${API}/models`, { token });
    expect(r.status).toBe(403);
    expect(errorOf(r.body).message).toMatch(/Missing required scope: read/);
  });
});

describe("team model settings (session routes)", () => {
  it("owners and admins change the default and the allowlist; members and viewers cannot", async () => {
    const a = await actor(h);
    const cookie = await h.signIn(a.user);
    const admin = await h.user({ team: a.user.team, role: "admin" });
    const member = await h.user({ team: a.user.team, role: "member" });
    const byAdmin = await h.json<Env<TeamModelSettings>>("PATCH", settingsPath(a.user), {
      cookie: await h.signIn(admin),
      body: { defaultModel: "openai/gpt-5" },
    });
    expect(byAdmin.status).toBe(200);
    expect(dataOf(byAdmin.body)).toMatchObject({ defaultModel: "openai/gpt-5", allowedModels: null });
    for (const c of [await h.signIn(member)]) {
      expect(
        (await h.json("PATCH", settingsPath(a.user), { cookie: c, body: { defaultModel: null } })).status,
      ).toBe(403);
      expect((await h.json("GET", settingsPath(a.user), { cookie: c })).status).toBe(403);
      expect(
        (await h.json("POST", keyPath(a.user, "openai"), { cookie: c, body: { key: "x" } })).status,
      ).toBe(403);
    }
    const bad = [
      [{ defaultModel: "nope" }, /model must look like provider\/model-id/],
      [{ defaultModel: "bogus/model" }, /unknown provider/],
      [{ defaultModel: "openai/gpt-5", allowedModels: ["openai/gpt-4.1"] }, /not in allowedModels/],
      [{ colour: "blue" }, /Unknown field: colour/],
    ] as const;
    for (const [body, message] of bad) {
      const r = await h.json<Env<unknown>>("PATCH", settingsPath(a.user), { cookie, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(r.body).message).toMatch(message);
    }
    const audit = await h.s.db.db
      .selectFrom("audit_events")
      .select("payload")
      .where("team_id", "=", a.user.teamId)
      .where("action", "=", "team.models_updated")
      .execute();
    expect(audit.map((x) => JSON.parse(x.payload ?? "{}"))).toEqual([
      { defaultModel: "openai/gpt-5", allowedModels: null },
    ]);
  });

  it("provider keys are write-only: sealed at rest, never in an answer, a log line or an audit payload", async () => {
    const a = await actor(h);
    const cookie = await h.signIn(a.user);
    const set = await h.json<Env<TeamModelSettings>>("POST", keyPath(a.user, "anthropic"), {
      cookie,
      body: { key: KEY },
    });
    expect(set.status).toBe(200);
    const anthropic = dataOf(set.body).providerKeys.find((k) => k.provider === "anthropic");
    expect(anthropic).toMatchObject({ teamKey: true, serverKey: false, updatedAt: expect.any(String) });
    expect(dataOf(set.body).providerKeys.find((k) => k.provider === "openai")).toMatchObject({
      teamKey: false,
      serverKey: true,
    });
    const read = await h.request("GET", settingsPath(a.user), { cookie });
    const readText = await read.text();
    const cat = await (await h.request("GET", `${API}/models`, { token: a.token })).text();
    const row = await h.s.db.db
      .selectFrom("team_provider_keys")
      .select("key_enc")
      .where("team_id", "=", a.user.teamId)
      .executeTakeFirstOrThrow();
    // It opens for runs (the engine reads it through the same store) and is no plaintext at rest.
    expect(await h.s.models.check(a.user.teamId, "anthropic/claude-sonnet-4-5", null)).toBe(
      "anthropic/claude-sonnet-4-5",
    );
    const audit = await h.s.db.db
      .selectFrom("audit_events")
      .select(["action", "payload"])
      .where("team_id", "=", a.user.teamId)
      .execute();
    expect(
      audit.filter((x) => x.action === "team.provider_key_set").map((x) => JSON.parse(x.payload ?? "{}")),
    ).toEqual([{ provider: "anthropic" }]);
    const bad = await h.json<Env<unknown>>("POST", keyPath(a.user, "nosuch"), { cookie, body: { key: KEY } });
    expect(bad.status).toBe(400);
    expect(errorOf(bad.body).message).toMatch(/provider must be one of/);
    const removed = await h.json<Env<TeamModelSettings>>("DELETE", keyPath(a.user, "anthropic"), { cookie });
    expect(dataOf(removed.body).providerKeys.find((k) => k.provider === "anthropic")?.teamKey).toBe(false);
    expect((await h.json("DELETE", keyPath(a.user, "anthropic"), { cookie })).status).toBe(404);
    for (const text of [
      JSON.stringify(set.body),
      readText,
      cat,
      JSON.stringify(audit),
      JSON.stringify(bad.body),
      String(row.key_enc),
      logs,
    ]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(SERVER_OPENAI_KEY);
    }
  });
});

describe("POST /runs model checks", () => {
  it("refuses a model that can't run with 400 naming it and why, before the allowlist", async () => {
    const a = await actor(h);
    await h.s.db.db
      .updateTable("teams")
      .set({ allowed_models: JSON.stringify(["openai/gpt-5"]) })
      .where("id", "=", a.user.teamId)
      .execute();
    const cases = [
      [
        "anthropic/claude-sonnet-4-5",
        /No credentials for provider "anthropic" \(model anthropic\/claude-sonnet-4-5\)/,
      ],
      ["bogus/some-model", /Unknown model provider "bogus" in "bogus\/some-model"/],
    ] as const;
    for (const [m, message] of cases) {
      const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "x", model: m });
      expect(r.status, m).toBe(400);
      expect(errorOf(r.body).code).toBe("BAD_REQUEST");
      expect(errorOf(r.body).message).toMatch(message);
    }
    const denied = await h.s.db.db
      .selectFrom("audit_events")
      .select("id")
      .where("team_id", "=", a.user.teamId)
      .where("action", "=", "model.denied")
      .execute();
    expect(denied).toHaveLength(0);
    // A runnable model outside the allowlist: 403 and the audit row.
    const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "x", model: "openai/gpt-4.1" });
    expect(r.status).toBe(403);
    expect(errorOf(r.body).message).toBe("Model openai/gpt-4.1 is not in this team's model catalogue");
    const rows = await h.s.db.db
      .selectFrom("audit_events")
      .select("payload")
      .where("team_id", "=", a.user.teamId)
      .where("action", "=", "model.denied")
      .execute();
    expect(rows.map((x) => JSON.parse(x.payload ?? "{}"))).toEqual([{ model: "openai/gpt-4.1" }]);
    // The server default is checked against the allowlist too: a run naming no model would use it.
    const none = await startRun(h, a.token, { repoId: a.repoId, prompt: "x" });
    expect(none.status).toBe(403);
    expect(errorOf(none.body).message).toMatch(/openai-compatible\/scripted-coder/);
    const ok = await startRun(h, a.token, { repoId: a.repoId, prompt: "x", model: "openai/gpt-5" });
    expect(ok.status).toBe(202);
    expect(dataOf(ok.body).run.model).toBe("openai/gpt-5");
  });

  it("a run without a model takes the team default set on the settings route; an unrunnable default is a 400", async () => {
    const a = await actor(h);
    const cookie = await h.signIn(a.user);
    await h.json("PATCH", settingsPath(a.user), {
      cookie,
      body: { defaultModel: "openai-compatible/scripted-large" },
    });
    const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "x" });
    expect(r.status).toBe(202);
    expect(dataOf(r.body).run.model).toBe("openai-compatible/scripted-large");
    await h.json("PATCH", settingsPath(a.user), {
      cookie,
      body: { defaultModel: "groq/llama-3.3-70b-versatile" },
    });
    const refused = await startRun(h, a.token, { repoId: a.repoId, prompt: "x" });
    expect(refused.status).toBe(400);
    expect(errorOf(refused.body).message).toMatch(/No credentials for provider "groq".*GROQ_API_KEY/);
  });
});

describe("repo settings", () => {
  it("owners/admins set install command, dev command, port and environment source over the API", async () => {
    const a = await actor(h);
    const path = `${API}/repos/${a.repoId}/settings`;
    const body = {
      installCommand: "npm ci",
      devCommand: "npm run dev -- --port 5173",
      port: 5173,
      environmentSource: "connection:app-env",
    };
    const r = await h.json<Env<{ repo: Record<string, unknown> }>>("POST", path, { token: a.token, body });
    expect(r.status).toBe(200);
    expect(dataOf(r.body).repo).toMatchObject(body);
    const cleared = await h.json<Env<{ repo: Record<string, unknown> }>>("POST", path, {
      token: a.token,
      body: { devCommand: null, port: null, environmentSource: "" },
    });
    expect(dataOf(cleared.body).repo).toMatchObject({
      installCommand: "npm ci",
      devCommand: null,
      port: null,
      environmentSource: null,
    });
    const bad = [
      [{ port: 80 }, /^port: /],
      [{ port: "5173" }, /^port: /],
      [{ environmentSource: "file:/etc/passwd" }, /environmentSource must be connection:<name>/],
      [{ installCommand: "npm ci\nrm -rf /" }, /one line/],
      [{ shell: "bash" }, /Unknown field: shell/],
    ] as const;
    for (const [b, message] of bad) {
      const res = await h.json<Env<unknown>>("POST", path, { token: a.token, body: b });
      expect(res.status, JSON.stringify(b)).toBe(400);
      expect(errorOf(res.body).message).toMatch(message);
    }
    const member = await h.user({ team: a.user.team, role: "member" });
    const { token } = await h.pat(member);
    const refused = await h.json<Env<unknown>>("POST", path, { token, body: { port: 3000 } });
    expect(refused.status).toBe(403);
    const outsider = await actor(h);
    expect((await h.json("POST", path, { token: outsider.token, body: { port: 3000 } })).status).toBe(404);
    const audit = await h.s.db.db
      .selectFrom("audit_events")
      .select("payload")
      .where("team_id", "=", a.user.teamId)
      .where("action", "=", "repo.settings_updated")
      .execute();
    expect(audit.map((x) => JSON.parse(x.payload ?? "{}").fields)).toEqual([
      ["installCommand", "devCommand", "port", "environmentSource"],
      ["devCommand", "port", "environmentSource"],
    ]);
  });

  it("the web app's PATCH /api/web/repos/{id} changes them for admins only", async () => {
    const a = await actor(h);
    const cookie = await h.signIn(a.user);
    const r = await h.json<Env<{ repo: Record<string, unknown> }>>("PATCH", `/api/web/repos/${a.repoId}`, {
      cookie,
      body: { installCommand: "pnpm install", port: 3000 },
    });
    expect(r.status).toBe(200);
    expect(dataOf(r.body).repo).toMatchObject({
      installCommand: "pnpm install",
      port: 3000,
      devCommand: null,
    });
    const member = await h.user({ team: a.user.team, role: "member" });
    const m = await h.json("PATCH", `/api/web/repos/${a.repoId}`, {
      cookie: await h.signIn(member),
      body: { port: 3001 },
    });
    expect(m.status).toBe(403);
  });
});
