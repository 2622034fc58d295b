// Headless `mogplex -p` end to end: the built binary, a real `mogplex serve`, a scripted OpenAI-compatible model,
// real bubblewrap. With only MOGPLEX_API_KEY the turn goes through the server's model endpoint; with
// OPENAI_API_KEY + OPENAI_BASE_URL straight to the stand-in and the server sees nothing.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ScriptedModel,
  startScriptedModel,
} from "../../../server/src/engine/test-support/scripted-model.js";
import { type Fixture, signIn, startFixture } from "./cli-support.js";
import { cleanup, ensureBuilt, runCli, tempDir } from "./support.js";

let fx: Fixture;
let model: ScriptedModel;
const OPENAI_KEY = "sk-direct-test-key-0123456789";

beforeAll(async () => {
  ensureBuilt();
  model = await startScriptedModel({ models: ["scripted-coder"] });
  fx = await startFixture({
    MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
    MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
  });
}, 120_000);
afterAll(async () => {
  await fx?.stop();
  await model?.close();
  cleanup();
});

/** A working folder with one file, and an env holding only PATH, HOME, CI and what the test adds. */
function workspace(extra: Record<string, string>) {
  const home = tempDir("mogplex-agent-home-");
  const cwd = join(home, "project");
  mkdirSync(cwd);
  writeFileSync(join(cwd, "greet.txt"), "hello world\n");
  const env = { PATH: process.env.PATH ?? "", HOME: home, CI: "true", ...extra };
  return { cwd, env };
}

const editScript = (marker: string) =>
  model.on(marker, [
    { toolCalls: [{ name: "edit_file", args: { path: "greet.txt", old: "world", new: "mogplex" } }] },
    { text: `edited for ${marker}`, usage: { prompt: 321, completion: 45 } },
  ]);

describe("mogplex -p with a direct provider key", () => {
  it("calls OPENAI_BASE_URL directly, edits the file, prints the answer; the server sees nothing", async () => {
    editScript("DIRECT-EDIT");
    const before = model.requests.length;
    const { cwd, env } = workspace({ OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: model.baseURL });
    const r = await runCli(["-p", "DIRECT-EDIT please", "--model", "openai/scripted-coder"], { env, cwd });
    expect(r.stderr).not.toContain(OPENAI_KEY);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("edited for DIRECT-EDIT");
    expect(readFileSync(join(cwd, "greet.txt"), "utf8")).toBe("hello mogplex\n");
    const mine = model.requests.slice(before);
    expect(mine.every((q) => q.authorization === `Bearer ${OPENAI_KEY}`)).toBe(true);
    expect(mine.map((q) => q.model)).toEqual(["scripted-coder", "scripted-coder"]);
    expect(mine[0]?.tools.sort()).toEqual(
      ["edit_file", "list_files", "read_file", "run_command", "search", "write_file"].sort(),
    );
  });
});

const toolMessages = (from: number) =>
  model.requests
    .slice(from)
    .flatMap((q) => q.messages.filter((m) => m.role === "tool").map((m) => JSON.stringify(m.content)));

describe("mogplex -p exit codes for a failing model call", () => {
  it("401 → 64, 429 → 75 (after one retry), naming the credential and never the key", async () => {
    model.on("FAIL-401", [{ status: 401 }]);
    model.on("FAIL-429", [{ status: 429 }, { status: 429 }]);
    const { cwd, env } = workspace({ OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: model.baseURL });
    const denied = await runCli(["-p", "FAIL-401", "--model", "openai/scripted-coder"], { env, cwd });
    expect(denied.code).toBe(64);
    expect(denied.stderr).toContain("HTTP 401");
    expect(denied.stderr).toContain("environment variable OPENAI_API_KEY");
    const limited = await runCli(["-p", "FAIL-429", "--model", "openai/scripted-coder", "--json"], {
      env,
      cwd,
    });
    expect(limited.code).toBe(75);
    expect(limited.stdout).toContain('"type":"error"');
    for (const r of [denied, limited]) expect(r.stderr + r.stdout).not.toContain(OPENAI_KEY);
  });
});

describe("mogplex -p with only MOGPLEX_API_KEY (the server's model endpoint)", () => {
  const account = (extra: Record<string, string> = {}) =>
    workspace({ MOGPLEX_API_KEY: fx.token, MOGPLEX_URL: fx.url, ...extra });

  it("edits a file in the working folder through the server, and the server's usage shows the tokens", async () => {
    editScript("ACCOUNT-EDIT");
    const before = model.requests.length;
    const { cwd, env } = account();
    const r = await runCli(["-p", "ACCOUNT-EDIT now"], { env, cwd });
    expect(r.stderr).not.toContain(fx.token);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("edited for ACCOUNT-EDIT");
    expect(r.stderr).toContain("openai-compatible/scripted-coder via environment variable MOGPLEX_API_KEY");
    expect(readFileSync(join(cwd, "greet.txt"), "utf8")).toBe("hello mogplex\n");
    const mine = model.requests.slice(before);
    expect(mine).toHaveLength(2);
    expect(mine.some((q) => q.authorization?.includes(fx.token))).toBe(false);
    const repos = await fetch(`${fx.url}/api/v1/mogplex/repos`, {
      headers: { authorization: `Bearer ${fx.token}` },
    });
    const teamId = ((await repos.json()) as { data: { repos: Array<{ teamId: string }> } }).data.repos[0]
      ?.teamId;
    const usage = await fetch(`${fx.url}/api/teams/${teamId}/llm-usage?days=7`, {
      headers: { cookie: await signIn(fx.url, fx.email) },
    });
    const rows = (
      (await usage.json()) as {
        data: { rows: Array<{ model: string; inputTokens: number; outputTokens: number }> };
      }
    ).data.rows;
    const row = rows.find((x) => x.model === "openai-compatible/scripted-coder");
    expect(row).toMatchObject({ inputTokens: 100 + 321, outputTokens: 20 + 45 });
    // The direct-key turn (first test) never reached the server.
    expect(rows.some((x) => x.model.startsWith("openai/"))).toBe(false);
  });

  it("reads the prompt from stdin with -p - and prints NDJSON events with --json", async () => {
    editScript("STDIN-JSON");
    const { cwd, env } = account();
    const r = await runCli(["-p", "-", "--json"], { env, cwd, input: "STDIN-JSON from a pipe\n" });
    expect(r.code).toBe(0);
    const events = r.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; diff?: string; text?: string; name?: string });
    const finished = events.find((e) => e.type === "tool_finished");
    expect(finished?.name).toBe("edit_file");
    expect(finished?.diff).toContain("-hello world");
    expect(finished?.diff).toContain("+hello mogplex");
    expect(events.some((e) => e.type === "usage")).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: "turn_finished",
      text: "edited for STDIN-JSON",
      reason: "done",
    });
  });

  it("auto-edit (the default) refuses run_command to the model; full-auto runs it in the sandbox", async () => {
    const script = (marker: string) =>
      model.on(marker, [
        {
          toolCalls: [{ name: "run_command", args: { command: "hostname > where.txt; id -u >> where.txt" } }],
        },
        { text: "ran" },
      ]);
    script("CMD-AUTO-EDIT");
    let from = model.requests.length;
    const a = account();
    const refused = await runCli(["-p", "CMD-AUTO-EDIT"], { env: a.env, cwd: a.cwd });
    expect(refused.code).toBe(0);
    expect(toolMessages(from).join()).toContain(
      "not approved in headless auto-edit mode; rerun with --approval full-auto",
    );
    expect(() => readFileSync(join(a.cwd, "where.txt"))).toThrow();

    script("CMD-FULL-AUTO");
    from = model.requests.length;
    const b = account();
    const ran = await runCli(["-p", "CMD-FULL-AUTO", "--approval", "full-auto"], { env: b.env, cwd: b.cwd });
    expect(ran.code).toBe(0);
    expect(toolMessages(from).join()).toContain("exit code: 0");
    expect(readFileSync(join(b.cwd, "where.txt"), "utf8").split("\n")[0]).toBe("mogplex-sandbox");
  });

  it("exits 64 with one clear line when there is no credential, and 2 for a malformed model", async () => {
    const none = workspace({});
    const r = await runCli(["-p", "hello"], { env: none.env, cwd: none.cwd });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("no credentials found");
    const bad = account();
    const m = await runCli(["-p", "hello", "--model", "not a model"], { env: bad.env, cwd: bad.cwd });
    expect(m.code).toBe(2);
  });

  it("a model outside the team's allowlist exits 65 naming it", async () => {
    const repos = await fetch(`${fx.url}/api/v1/mogplex/repos`, {
      headers: { authorization: `Bearer ${fx.token}` },
    });
    const teamId = ((await repos.json()) as { data: { repos: Array<{ teamId: string }> } }).data.repos[0]
      ?.teamId;
    const res = await fetch(`${fx.url}/api/teams/${teamId}/model-settings`, {
      method: "PATCH",
      headers: { cookie: await signIn(fx.url, fx.email), origin: fx.url, "content-type": "application/json" },
      body: JSON.stringify({ allowedModels: ["openai-compatible/other-model"] }),
    });
    expect(res.status).toBe(200);
    const { cwd, env } = account();
    const r = await runCli(["-p", "hello", "--model", "openai-compatible/scripted-coder"], { env, cwd });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain("openai-compatible/scripted-coder");
  });
});
