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
import { type Fixture, startFixture } from "./cli-support.js";
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
