// The interactive chooser, driven in a real terminal through tmux: store a provider key, and cancel. (Bare
// `mogplex` without credentials — chooser, device-code sign-in, then the session — is in cli-session.test.ts.)
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authJson, clientEnv, type Fixture, startFixture } from "./cli-support.js";
import { cleanup, ensureBuilt, mode, runCli } from "./support.js";
import { tmuxServer } from "./tmux.js";

const tmux = tmuxServer("chooser");
let f: Fixture;

beforeAll(async () => {
  tmux.check();
  ensureBuilt();
  f = await startFixture();
});
afterAll(async () => {
  tmux.kill();
  await f?.stop();
  cleanup();
});

describe("the interactive chooser (tmux)", { timeout: 120_000 }, () => {
  it("offers the three ways in, and stores a provider API key (masked, 0600)", async () => {
    const env = clientEnv(f.url);
    const t = tmux.open(["login"], env);
    await t.waitFor(/How do you want to sign in\?/);
    const screen = t.screen();
    for (const label of [
      "Sign in with Mogplex (browser)",
      "Sign in with a device code",
      "Store a provider API key",
    ]) {
      expect(screen).toContain(label);
    }
    t.keys("Down", "Down", "Enter");
    await t.waitFor(/Which provider\?/);
    t.keys("Enter"); // Anthropic, the first in SPEC order
    await t.waitFor(/Anthropic API key/);
    t.type("sk-ant-test-0123456789abcdef");
    t.keys("Enter");
    await t.waitFor(/EXIT:0/);
    expect(t.screen()).toContain("Stored your Anthropic API key");
    expect(t.screen()).not.toContain("sk-ant-test-0123456789abcdef");
    expect(authJson(env).anthropic).toMatchObject({ type: "api_key", key: "sk-ant-test-0123456789abcdef" });
    expect(mode(join(env.MOGPLEX_HOME as string, "auth.json"))).toBe(0o600);
    const status = await runCli(["auth", "status"], { env });
    expect(status.stdout).toContain("Authenticated via stored Anthropic API key");
    const logs = join(env.MOGPLEX_HOME as string, "logs");
    for (const file of execFileSync("ls", [logs], { encoding: "utf8" }).trim().split("\n")) {
      expect(readFileSync(join(logs, file), "utf8")).not.toContain("sk-ant-test-0123456789abcdef");
    }
  });

  it("cancelling the chooser stores nothing and exits 1", async () => {
    const env = clientEnv(f.url);
    const t = tmux.open(["login"], env);
    await t.waitFor(/How do you want to sign in\?/);
    t.keys("C-c");
    await t.waitFor(/EXIT:1/);
    expect(t.screen()).toContain("cancelled; nothing was stored");
    expect(existsSync(join(env.MOGPLEX_HOME as string, "auth.json"))).toBe(false);
  });
});
