// POST /runs through the real app: the run object, input validation, team scoping and the model catalogue.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, FakeClock, type Harness } from "../test-support/harness.js";
import {
  type Actor,
  API,
  actor,
  dataOf,
  type Env,
  errorOf,
  ROOMY_BUDGETS,
  startRun,
} from "./test-support/api.js";

let h: Harness;
let a: Actor;
// A fixed instant, so the date inside generated branch names is known.
const clock = new FakeClock(Date.UTC(2031, 4, 17, 23, 59, 30));

beforeAll(async () => {
  // Provider keys so the model checks at creation pass (they are never used: no run executes here).
  h = await createHarness({
    clock,
    env: { ...ROOMY_BUDGETS, OPENAI_API_KEY: "sk-test-unused", ANTHROPIC_API_KEY: "sk-ant-test-unused" },
  });
  a = await actor(h);
});
afterAll(async () => {
  await h.close();
});

describe("POST /runs", () => {
  it("answers 202 with the run exactly as the spec shapes it", async () => {
    const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "Fix the Login bug, please!" });
    expect(r.status).toBe(202);
    const { run, replayed } = dataOf(r.body);
    expect(replayed).toBe(false);
    expect(Object.keys(run).sort()).toEqual(
      [
        "id",
        "repoId",
        "source",
        "prompt",
        "harness",
        "model",
        "status",
        "branch",
        "rootDirectory",
        "sandboxId",
        "agentId",
        "packages",
        "createdAt",
        "updatedAt",
        "startedAt",
        "finishedAt",
        "error",
        "usage",
        "eventsUrl",
        "cancelUrl",
        "previewUrl",
      ].sort(),
    );
    const shortId = run.id
      .replace(/[^a-z0-9]/gi, "")
      .slice(0, 8)
      .toLowerCase();
    expect(run).toMatchObject({
      repoId: a.repoId,
      source: "api",
      prompt: "Fix the Login bug, please!",
      harness: "mogplex",
      model: null,
      status: "pending",
      branch: {
        base: "main",
        working: `mogplex/run/2031-05-17/fix-the-login-bug-please-${shortId}`,
        createBranch: true,
      },
      rootDirectory: "",
      sandboxId: null,
      agentId: null,
      packages: [],
      createdAt: new Date(clock.now()).toISOString(),
      updatedAt: new Date(clock.now()).toISOString(),
      startedAt: null,
      finishedAt: null,
      error: null,
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      eventsUrl: `${API}/runs/${run.id}/events`,
      cancelUrl: `${API}/runs/${run.id}/cancel`,
      previewUrl: null,
    });
    expect(shortId).toHaveLength(8);

    const got = await h.json<Env<{ run: unknown }>>("GET", `${API}/runs/${run.id}`, { token: a.token });
    expect(got.status).toBe(200);
    expect(dataOf(got.body).run).toEqual(run);
  });

  it("keeps a given branch, base branch, root directory and agent id", async () => {
    const r = await startRun(h, a.token, {
      repoId: a.repoId,
      prompt: "x",
      baseBranch: "develop",
      branch: "feature/thing-1",
      rootDirectory: "./a//b/",
      agentId: "agent-7",
    });
    expect(r.status).toBe(202);
    const { run } = dataOf(r.body);
    expect(run.branch).toEqual({ base: "develop", working: "feature/thing-1", createBranch: true });
    expect(run.rootDirectory).toBe("a/b");
    expect(run.agentId).toBe("agent-7");
  });

  it("accepts a prompt of exactly 100,000 characters", async () => {
    const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "p".repeat(100_000) });
    expect(r.status).toBe(202);
  });

  it("requires an Idempotency-Key of at most 200 characters", async () => {
    const body = { repoId: a.repoId, prompt: "x" };
    const missing = await h.json<Env<never>>("POST", `${API}/runs`, { token: a.token, body });
    expect(missing.status).toBe(400);
    expect(errorOf(missing.body)).toMatchObject({
      code: "BAD_REQUEST",
      message: "Idempotency-Key is required",
    });
    expect((await startRun(h, a.token, body, "k".repeat(201))).status).toBe(400);
    expect((await startRun(h, a.token, body, "k".repeat(200))).status).toBe(202);
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ["missing prompt", { prompt: undefined }],
    ["empty prompt", { prompt: "" }],
    ["a 100,001-character prompt", { prompt: "p".repeat(100_001) }],
    ["rootDirectory ..", { rootDirectory: ".." }],
    ["an absolute rootDirectory", { rootDirectory: "/abs" }],
    ["rootDirectory escaping through a/../../b", { rootDirectory: "a/../../b" }],
    ["encoded dots", { rootDirectory: "%2e%2e" }],
    ["encoded dots in a deeper segment", { rootDirectory: "a/%2E%2e/b" }],
    ["a NUL in rootDirectory", { rootDirectory: "a\u0000b" }],
    ["branch a..b", { branch: "a..b" }],
    ["branch -x", { branch: "-x" }],
    ["branch x.lock", { branch: "x.lock" }],
    ["branch with a space", { branch: "a b" }],
    ["branch x~1", { branch: "x~1" }],
    ["baseBranch with a colon", { baseBranch: "a:b" }],
    ["an unknown field", { colour: "red" }],
    ["a non-boolean createBranch", { createBranch: "yes" }],
  ];
  it.each(bad)("rejects %s with 400", async (_, extra) => {
    // JSON.stringify drops undefined, so { prompt: undefined } sends no prompt at all.
    const body = { repoId: a.repoId, prompt: "x", ...extra };
    const r = await startRun(h, a.token, body);
    expect(r.status).toBe(400);
    expect(errorOf(r.body).code).toBe("BAD_REQUEST");
  });

  it("rejects an unknown harness with 400 naming the installed ones", async () => {
    const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "x", harness: "nope" });
    expect(r.status).toBe(400);
    expect(errorOf(r.body).message).toContain("mogplex");
    expect(errorOf(r.body).message).not.toContain("nope");
  });

  it("rejects a body that is not JSON", async () => {
    const r = await h.json<Env<never>>("POST", `${API}/runs`, {
      token: a.token,
      rawBody: "{not json",
      headers: { "idempotency-key": "bad-json", "content-type": "application/json" },
    });
    expect(r.status).toBe(400);
  });

  it("answers 404 for an unknown repo and for another team's repo, creating nothing", async () => {
    const other = await actor(h);
    const unknown = await startRun(h, a.token, { repoId: "no-such-repo", prompt: "x" });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body).code).toBe("NOT_FOUND");
    const foreign = await startRun(h, a.token, { repoId: other.repoId, prompt: "x" });
    expect(foreign.status).toBe(404);
    expect(errorOf(foreign.body).code).toBe("NOT_FOUND");
    expect(errorOf(foreign.body).message).toBe(errorOf(unknown.body).message);
    const count = await h.s.db.db
      .selectFrom("runs")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("repo_id", "=", other.repoId)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it("does not let a read-only token start runs", async () => {
    const { token } = await h.pat(a.user, { scopes: ["read"] });
    const r = await startRun(h, token, { repoId: a.repoId, prompt: "x" });
    expect(r.status).toBe(403);
    expect(errorOf(r.body).message).toBe(
      "Missing required scope: write. Issue a new token with the 'write' scope at /settings/api-keys.",
    );
  });
});

describe("roles", () => {
  it("lets a viewer read runs but not start them, whatever the token's scopes", async () => {
    const viewer = await h.user({ team: a.user.team, role: "viewer" });
    const { token } = await h.pat(viewer, { scopes: ["read", "write"] });
    const r = await startRun(h, token, { repoId: a.repoId, prompt: "x" });
    expect(r.status).toBe(403);
    expect(errorOf(r.body).code).toBe("FORBIDDEN");
    const list = await h.json<Env<{ runs: unknown[] }>>("GET", `${API}/runs`, { token });
    expect(list.status).toBe(200);
    expect(dataOf(list.body).runs.length).toBeGreaterThan(0);
  });
});

describe("model catalogue", () => {
  it("refuses a model outside the team's allowlist with 403 and an audit row model.denied", async () => {
    const b = await actor(h);
    await h.s.db.db
      .updateTable("teams")
      .set({ allowed_models: JSON.stringify(["openai/gpt-x"]) })
      .where("id", "=", b.user.teamId)
      .execute();

    const denied = await startRun(h, b.token, { repoId: b.repoId, prompt: "x", model: "anthropic/other" });
    expect(denied.status).toBe(403);
    expect(errorOf(denied.body).code).toBe("FORBIDDEN");
    const rows = await h.s.db.db
      .selectFrom("audit_events")
      .selectAll()
      .where("team_id", "=", b.user.teamId)
      .where("action", "=", "model.denied")
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.actor_id).toBe(b.user.userId);
    expect(JSON.parse(rows[0]?.payload ?? "{}")).toMatchObject({ model: "anthropic/other" });
    const runs = await h.s.db.db
      .selectFrom("runs")
      .select("id")
      .where("team_id", "=", b.user.teamId)
      .execute();
    expect(runs).toHaveLength(0);

    const allowed = await startRun(h, b.token, { repoId: b.repoId, prompt: "x", model: "openai/gpt-x" });
    expect(allowed.status).toBe(202);
    expect(dataOf(allowed.body).run.model).toBe("openai/gpt-x");
  });

  it("lets any runnable model through when the team has no allowlist", async () => {
    const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "x", model: "openai/some-model" });
    expect(r.status).toBe(202);
    expect(dataOf(r.body).run.model).toBe("openai/some-model");
  });
});
