// The interactive chooser, driven in a real terminal through tmux: store a provider key, sign in with a device
// code against a real server, and cancel from bare `mogplex`. Needs tmux (scripts/setup.sh territory).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authJson, clientEnv, type Fixture, signIn, startFixture } from "./cli-support.js";
import { BIN, cleanup, ensureBuilt, mode, runCli } from "./support.js";

const SOCKET = `mogplex-e2e-${process.pid}`;
let session = 0;
let f: Fixture;

const tmux = (...args: string[]) => execFileSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" });
const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** Runs the CLI in a fresh tmux window (a real TTY) and returns a handle to read and type into it. */
function terminal(args: string[], env: Record<string, string>) {
  const name = `s${session++}`;
  const vars = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`);
  const cmd = `env -i ${vars.join(" ")} ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(" ")}; echo EXIT:$?; sleep 600`;
  tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40", cmd);
  const screen = () => tmux("capture-pane", "-p", "-t", name);
  return {
    screen,
    keys: (...keys: string[]) => tmux("send-keys", "-t", name, ...keys),
    type: (text: string) => tmux("send-keys", "-t", name, "-l", text),
    async waitFor(re: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(screen());
        if (m) return m;
        if (Date.now() > deadline) throw new Error(`no ${re} on screen:\n${screen()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

beforeAll(async () => {
  try {
    execFileSync("tmux", ["-V"]);
  } catch {
    throw new Error("tmux is required for the chooser test (install it, e.g. in scripts/setup.sh)");
  }
  ensureBuilt();
  f = await startFixture();
});
afterAll(async () => {
  try {
    tmux("kill-server");
  } catch {}
  await f?.stop();
  cleanup();
});

describe("the interactive chooser (tmux)", { timeout: 120_000 }, () => {
  it("offers the three ways in, and stores a provider API key (masked, 0600)", async () => {
    const env = clientEnv(f.url);
    const t = terminal(["login"], env);
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

  it("bare `mogplex` without credentials opens the chooser; a device-code sign-in completes", async () => {
    const env = clientEnv(f.url);
    const t = terminal([], env);
    await t.waitFor(/How do you want to sign in\?/);
    t.keys("Down", "Enter");
    const m = await t.waitFor(/enter the code: ([A-Z]{4}-[A-Z]{4})/);
    const cookie = await signIn(f.url, f.email);
    const approve = await fetch(`${f.url}/api/cli-auth/device/approve`, {
      method: "POST",
      headers: { cookie, origin: f.url, "content-type": "application/json" },
      body: JSON.stringify({ userCode: m[1] }),
    });
    expect(approve.status).toBe(200);
    await t.waitFor(/EXIT:0/);
    expect(t.screen()).toContain(`Signed in to ${f.url}`);
    expect((authJson(env).mogplex as { method: string }).method).toBe("device");
  });

  it("cancelling the chooser stores nothing and exits 1", async () => {
    const env = clientEnv(f.url);
    const t = terminal(["login"], env);
    await t.waitFor(/How do you want to sign in\?/);
    t.keys("C-c");
    await t.waitFor(/EXIT:1/);
    expect(t.screen()).toContain("cancelled; nothing was stored");
    expect(existsSync(join(env.MOGPLEX_HOME as string, "auth.json"))).toBe(false);
  });
});
