// The interactive session end to end in a real terminal (tmux): the built `mogplex`, signed in to a real
// `mogplex serve` whose model access points at a scripted OpenAI-compatible model, real bubblewrap. A turn that
// edits a file (approved, diff shown in colour), run_command approved and refused, a pasted multi-line prompt,
// /model switching what the model is asked for, Ctrl-C cancelling a slow turn, and /logout then the chooser.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ChatRequest,
  type ScriptedModel,
  startScriptedModel,
} from "../../../server/src/engine/test-support/scripted-model.js";
import { authJson, clientEnv, type Fixture, signIn, startFixture } from "./cli-support.js";
import { cleanup, ensureBuilt, runCli, tempDir } from "./support.js";
import { tmuxServer } from "./tmux.js";

const tmux = tmuxServer("session");
let fx: Fixture;
let model: ScriptedModel;

const text = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content.map((p: { text?: string }) => p.text ?? "").join("")
      : "";

/** Answers by the latest prompt; after a tool result, a closing line naming the scenario. */
function reply(req: ChatRequest) {
  const prompt = text([...req.messages].reverse().find((m) => m.role === "user")?.content);
  const afterTool = req.messages[req.messages.length - 1]?.role === "tool";
  const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, args }] });
  if (prompt.includes("EDIT")) {
    return afterTool
      ? { text: "EDIT-DONE" }
      : call("edit_file", { path: "greet.txt", old: "world", new: "terminal" });
  }
  for (const m of ["RUN-YES", "RUN-NO"]) {
    if (prompt.includes(m))
      return afterTool ? { text: `${m}-DONE` } : call("run_command", { command: `echo ran > ${m}.txt` });
  }
  if (prompt.includes("WHICH-MODEL")) return { text: `asked for ${req.model}` };
  if (prompt.includes("PASTED")) return { text: `got ${prompt.split("\n").length} lines` };
  if (prompt.includes("SLOW")) return { text: "too late", delayMs: 60_000 };
  return { text: "hello from the scripted model" };
}

/** A signed-in client (stored account login) and a working folder with one file. */
async function client() {
  const env: Record<string, string> = { ...clientEnv(fx.url), TERM: "xterm-256color" };
  const login = await runCli(["login", "--with-token"], { env, input: fx.token });
  expect(login.code).toBe(0);
  const cwd = join(tempDir("mogplex-tui-"), "project");
  mkdirSync(cwd);
  writeFileSync(join(cwd, "greet.txt"), "hello world\n");
  return { env, cwd };
}

beforeAll(async () => {
  tmux.check();
  ensureBuilt();
  model = await startScriptedModel({ models: ["scripted-coder", "scripted-fast"] });
  model.on("TUI-SESSION", reply);
  fx = await startFixture({
    MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
    MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
  });
}, 120_000);
afterAll(async () => {
  tmux.kill();
  await fx?.stop();
  await model?.close();
  cleanup();
});

describe("the interactive session (tmux)", { timeout: 180_000 }, () => {
  it("edits with a coloured diff, asks before commands, pastes, switches model, cancels on Ctrl-C", async () => {
    const { env, cwd } = await client();
    const t = tmux.open([], env, cwd);
    await t.waitFor(/openai-compatible\/scripted-coder · approval: ask · sandbox: on · network: off/);
    expect(t.screen()).toContain(`via Mogplex account login for ${fx.url}`);

    // A write in ask mode needs a yes; the diff is shown (once), + lines green.
    t.type("TUI-SESSION EDIT greet.txt please");
    t.keys("Enter");
    await t.waitFor(/Write this file\?[\s\S]*Allow\? \[y\/n\]/);
    t.type("y");
    await t.waitFor(/EDIT-DONE/);
    expect(t.screen()).toMatch(/✓ edit_file greet\.txt/);
    // Printed once, with the answer; the tool line does not repeat it.
    expect(t.screen()).toMatch(
      /Allowed: write greet\.txt\n[\s\S]*\+hello terminal[\s\S]*\(diff shown above\)/,
    );
    expect(t.screen().split("+hello terminal")).toHaveLength(2);
    expect(t.colours()).toContain("\x1b[32m+hello terminal"); // green
    expect(readFileSync(join(cwd, "greet.txt"), "utf8")).toBe("hello terminal\n");

    // run_command: shown with its command; runs after y, refused after n.
    t.type("RUN-YES now");
    t.keys("Enter");
    await t.waitFor(/Run this command\?[\s\S]*\$ echo ran > RUN-YES\.txt/);
    t.type("y");
    await t.waitFor(/RUN-YES-DONE/);
    expect(existsSync(join(cwd, "RUN-YES.txt"))).toBe(true);
    t.type("RUN-NO now");
    t.keys("Enter");
    await t.waitFor(/\$ echo ran > RUN-NO\.txt/);
    t.type("n");
    await t.waitFor(/RUN-NO-DONE/);
    expect(t.screen()).toMatch(/✗ run_command echo ran > RUN-NO\.txt — refused/);
    expect(existsSync(join(cwd, "RUN-NO.txt"))).toBe(false);

    // A paste with line breaks stays one prompt until Enter.
    t.paste("PASTED one\ntwo\nthree");
    t.keys("Enter");
    await t.waitFor(/got 3 lines/);

    // /model from the synced catalogue: the next call asks the upstream for the new model.
    t.type("/model");
    t.keys("Enter");
    await t.waitFor(/Pick a model/);
    for (let i = 0; i < 40 && !/› openai-compatible\/scripted-fast/.test(t.screen()); i++) {
      t.keys("Down");
      await new Promise((r) => setTimeout(r, 200));
    }
    t.keys("Enter");
    await t.waitFor(/Model: openai-compatible\/scripted-fast/);
    t.type("WHICH-MODEL now");
    t.keys("Enter");
    await t.waitFor(/asked for scripted-fast/);
    expect(model.requests[model.requests.length - 1]?.model).toBe("scripted-fast");

    // Ctrl-C cancels a turn stuck on a slow model; a second Ctrl-C leaves with 0.
    t.type("SLOW please");
    t.keys("Enter");
    await t.waitFor(/working…/);
    t.keys("C-c");
    await t.waitFor(/Turn cancelled\./);
    t.keys("C-c");
    await t.waitFor(/EXIT:0/);
  });

  it("without credentials: the chooser, a device-code sign-in, then the session", async () => {
    const env: Record<string, string> = { ...clientEnv(fx.url), TERM: "xterm-256color" };
    const t = tmux.open([], env, tempDir("mogplex-tui-"));
    await t.waitFor(/How do you want to sign in\?/);
    t.keys("Down", "Enter");
    const m = await t.waitFor(/enter the code: ([A-Z]{4}-[A-Z]{4})/);
    const cookie = await signIn(fx.url, fx.email);
    const approve = await fetch(`${fx.url}/api/cli-auth/device/approve`, {
      method: "POST",
      headers: { cookie, origin: fx.url, "content-type": "application/json" },
      body: JSON.stringify({ userCode: m[1] }),
    });
    expect(approve.status).toBe(200);
    await t.waitFor(/Signed in to[\s\S]*openai-compatible\/scripted-coder · approval: ask/);
    expect((authJson(env).mogplex as { method: string }).method).toBe("device");
    t.type("/exit");
    t.keys("Enter");
    await t.waitFor(/EXIT:0/);
  });

  it("takes its approval mode from config.json; /logout removes the login; the next start shows the chooser", async () => {
    const { env, cwd } = await client();
    writeFileSync(join(env.MOGPLEX_HOME as string, "config.json"), '{"approval":"auto-edit"}');
    const t = tmux.open([], env, cwd);
    await t.waitFor(/approval: auto-edit · sandbox: on/); // the default from config.json
    t.type("/logout");
    t.keys("Enter");
    await t.waitFor(/Removed mogplex from/);
    t.type("/exit");
    t.keys("Enter");
    await t.waitFor(/EXIT:0/);
    expect(readFileSync(join(env.MOGPLEX_HOME as string, "auth.json"), "utf8")).not.toContain("mogplex");
    const again = tmux.open([], env, cwd);
    await again.waitFor(/How do you want to sign in\?/);
    again.keys("C-c");
    await again.waitFor(/EXIT:1/);
  });
});
