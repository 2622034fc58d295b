// End-to-end sign-in with the real binaries: device flow approved through the session route, browser flow
// through the consent routes the /cli-auth page calls (loopback hand-off, manual paste, denial), --with-token,
// auth.json modes. (The same flows clicked through in Chromium: apps/web/e2e/cli-login.test.ts.)
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  authJson,
  clientEnv,
  type Fixture,
  killLive,
  sessionLogs,
  signIn,
  startCli,
  startFixture,
} from "./cli-support.js";
import { cleanup, ensureBuilt, mode, runCli } from "./support.js";

const PAT = /^mog_[0-9A-Za-z]{32}$/;
// Each test spawns several processes (the admin CLI loads the whole server); generous on a busy machine.
const SLOW = 120_000;
let f: Fixture;
let cookie: string;
/** Every secret these tests saw, to prove no session log holds one. */
const secrets = new Set<string>();
const homes: string[] = [];

function client(extra: Record<string, string> = {}) {
  const env = clientEnv(f.url, extra);
  homes.push(env.MOGPLEX_HOME as string);
  return env;
}

/** A client that names no server: `login --server URL` must say which, and the login remembers it. */
function clientWithoutUrl() {
  const { MOGPLEX_URL: _, ...env } = client();
  return env;
}

beforeAll(async () => {
  ensureBuilt();
  f = await startFixture();
  cookie = await signIn(f.url, f.email);
  secrets.add(f.token);
});
afterAll(async () => {
  killLive();
  await f?.stop();
  cleanup();
});

/** Starts `mogplex login --browser --no-open` and decides as the /cli-auth page does; returns the hand-off URL. */
async function consent(env: Record<string, string>, decision: "approve" | "deny", extra: string[] = []) {
  const cli = startCli(["login", "--browser", "--no-open", ...extra], env);
  const opened = (await cli.waitFor(/Opening (\S+)/))[1] as string;
  expect(opened.startsWith(`${f.url}/cli-auth?callback=http%3A%2F%2F127.0.0.1%3A`)).toBe(true);
  const q = new URL(opened).searchParams;
  const [callback, nonce] = [q.get("callback"), q.get("nonce")];
  const res = await fetch(`${f.url}/api/cli-auth/${decision === "approve" ? "consent" : "deny"}`, {
    method: "POST",
    headers: { cookie, origin: f.url, "content-type": "application/json" },
    body: JSON.stringify(
      decision === "approve"
        ? { callback, nonce, codeChallenge: q.get("code_challenge"), codeChallengeMethod: "S256" }
        : { callback, nonce },
    ),
  });
  expect(res.status).toBe(200);
  const { redirectUrl } = (await res.json()) as { redirectUrl: string };
  return { cli, opened, redirectUrl };
}

describe("mogplex login --browser (consent given over HTTP)", { timeout: SLOW }, () => {
  it("hands a single-use code to the loopback listener, which exchanges it for a PAT; the token is in no URL or page", async () => {
    const env = clientWithoutUrl();
    const { cli, opened, redirectUrl: callback } = await consent(env, "approve", ["--server", f.url]);
    expect(callback).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/callback\?code=[0-9A-Za-z]{32}&nonce=[0-9a-f]{32}$/,
    );
    const landing = await fetch(callback);
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain("Signed in");
    expect(await cli.exited()).toBe(0);
    expect(cli.stdout()).toContain(`Signed in to ${f.url}`);

    const stored = authJson(env).mogplex as {
      type: string;
      url: string;
      token: string;
      method: string;
      expiresAt: string;
    };
    expect(stored).toMatchObject({ type: "mogplex", url: f.url, method: "browser" });
    expect(stored.token).toMatch(PAT);
    expect(Date.parse(stored.expiresAt)).toBeGreaterThan(Date.now() + 89 * 86_400_000);
    secrets.add(stored.token);
    for (const seen of [opened, callback, cli.stderr()]) expect(seen).not.toContain(stored.token);
    expect(mode(join(env.MOGPLEX_HOME as string, "auth.json"))).toBe(0o600);
    expect(mode(env.MOGPLEX_HOME as string)).toBe(0o700);

    const repos = await runCli(["repos", "list", "--json"], { env });
    expect(repos.code).toBe(0);
    expect(JSON.parse(repos.stdout.trim().split("\n")[0] as string).id).toBe(f.repoId);
  });

  it("takes the code pasted by hand when the browser can't reach the listener", async () => {
    const env = client();
    const { cli, redirectUrl } = await consent(env, "approve");
    // The code the page shows to copy when the browser can't reach the CLI's listener.
    const code = new URL(redirectUrl).searchParams.get("code") as string;
    cli.write(`${code}\n`);
    expect(await cli.exited(15_000)).toBe(0);
    const token = (authJson(env).mogplex as { token: string }).token;
    expect(token).toMatch(PAT);
    secrets.add(token);
  });

  it("a denial in the browser ends the CLI with exit 65 and stores nothing", async () => {
    const env = client();
    const { cli, redirectUrl: back } = await consent(env, "deny");
    expect(back).toContain("error=access_denied");
    await fetch(back);
    expect(await cli.exited()).toBe(65);
    expect(cli.stderr()).toContain("denied");
    await expect(runCli(["auth", "status"], { env })).resolves.toMatchObject({ code: 64 });
  });
});

describe("mogplex login --device", { timeout: SLOW }, () => {
  it("shows a user code, polls, and stores the PAT once approved through the session route", async () => {
    const env = clientWithoutUrl();
    const cli = startCli(["login", "--device", "--server", f.url], env);
    const m = await cli.waitFor(/open (\S+) and enter the code: ([A-Z]{4}-[A-Z]{4})/);
    expect(m[1]).toBe(`${f.url}/device`);
    const approve = await fetch(`${f.url}/api/cli-auth/device/approve`, {
      method: "POST",
      headers: { cookie, origin: f.url, "content-type": "application/json" },
      body: JSON.stringify({ userCode: m[2] }),
    });
    expect(approve.status).toBe(200);
    expect(await cli.exited()).toBe(0);
    const stored = authJson(env).mogplex as { token: string; method: string; expiresAt: string; url: string };
    expect(stored).toMatchObject({ method: "device", url: f.url });
    expect(stored.token).toMatch(PAT);
    expect(Date.parse(stored.expiresAt)).toBeGreaterThan(Date.now() + 89 * 86_400_000);
    secrets.add(stored.token);
    // Without MOGPLEX_URL the commands go to the server the login came from.
    expect((await runCli(["repos", "list"], { env })).stdout).toContain(f.repoId);
    expect((await runCli(["auth", "status"], { env })).stdout).toContain(
      `expires ${stored.expiresAt.slice(0, 10)}`,
    );
  });
});

describe("mogplex login --with-token, auth.json and precedence", { timeout: SLOW }, () => {
  it("stores a valid token (0600 file, 0700 folder); refuses a malformed (2) or rejected (64) one", async () => {
    const env = client();
    const bad = await runCli(["login", "--with-token"], { env, input: "not-a-token\n" });
    expect(bad.code).toBe(2);
    const unknown = await runCli(["login", "--with-token"], { env, input: `mog_${"A".repeat(32)}\n` });
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain("rejected");
    const ok = await runCli(["login", "--with-token"], { env, input: `${f.token}\n` });
    expect(ok.code).toBe(0);
    expect(ok.stdout + ok.stderr).not.toContain(f.token);
    expect(mode(join(env.MOGPLEX_HOME as string, "auth.json"))).toBe(0o600);
    expect(mode(env.MOGPLEX_HOME as string)).toBe(0o700);
    // A file someone loosened is tightened before it is used.
    chmodSync(join(env.MOGPLEX_HOME as string, "auth.json"), 0o644);
    const status = await runCli(["auth", "status"], { env });
    expect(status.code).toBe(0);
    expect(status.stderr).toContain("tightened to 600");
    expect(mode(join(env.MOGPLEX_HOME as string, "auth.json"))).toBe(0o600);
  });

  it("--with-token --server: stores that server and the token's own expiry, shown by auth status", async () => {
    const token = await f.admin(
      "create-token",
      "--email",
      f.email,
      "--name",
      "ninety",
      "--expires-in-days",
      "90",
    );
    secrets.add(token);
    const env = clientWithoutUrl();
    const ok = await runCli(["login", "--with-token", "--server", f.url], { env, input: `${token}\n` });
    expect(ok.code, ok.stderr).toBe(0);
    const stored = authJson(env).mogplex as { url: string; expiresAt: string; method: string };
    expect(stored).toMatchObject({ url: f.url, method: "token" });
    const days = (Date.parse(stored.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    const status = await runCli(["auth", "status", "--json"], { env });
    expect(JSON.parse(status.stdout)).toMatchObject({
      source: { server: f.url, expiresAt: stored.expiresAt },
    });
    expect((await runCli(["auth", "status"], { env })).stdout).toContain(
      `(token ${token.slice(0, 12)}…, expires ${stored.expiresAt.slice(0, 10)})`,
    );
    expect((await runCli(["repos", "list"], { env })).stdout).toContain(f.repoId);
    // --server follows MOGPLEX_URL's rules: plain http only to a loopback address.
    const bad = await runCli(["login", "--with-token", "--server", "http://example.test"], {
      env,
      input: token,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--server: refusing plain http to example.test");
  });

  it("an env var beats auth.json: MOGPLEX_API_KEY is the credential used and named", async () => {
    const beta = await startFixtureTeam();
    const env = client();
    expect((await runCli(["login", "--with-token"], { env, input: f.token })).code).toBe(0);
    const withEnv = { ...env, MOGPLEX_API_KEY: beta.token };
    const status = await runCli(["auth", "status", "--json"], { env: withEnv });
    const s = JSON.parse(status.stdout) as {
      source: { variable: string };
      shadowed: Array<{ source: string }>;
      api: { origin: string };
    };
    expect(s.source.variable).toBe("MOGPLEX_API_KEY");
    expect(s.shadowed.map((x) => x.source)).toEqual(["account"]);
    expect(s.api.origin).toBe("MOGPLEX_API_KEY");
    expect(status.stdout).not.toContain(beta.token);
    expect(status.stdout).not.toContain(f.token);
    // The API sees the env token's team (beta), not the stored login's (acme).
    const repos = await runCli(["repos", "list", "--json"], { env: withEnv });
    expect(repos.stdout).toContain(beta.repoId);
    expect(repos.stdout).not.toContain(f.repoId);
    // A provider key in the env wins the session over the stored account login, and is named — never shown.
    const provider = await runCli(["auth", "status"], {
      env: { ...env, OPENAI_API_KEY: "sk-test-1234567890abcdef" },
    });
    expect(provider.stdout).toContain("Authenticated via environment variable OPENAI_API_KEY (OpenAI)");
    expect(provider.stdout).not.toContain("sk-test-1234567890abcdef");
    secrets.add("sk-test-1234567890abcdef");
  });

  it("logout removes the stored login and says the set env var will still authenticate", async () => {
    const env = client();
    expect((await runCli(["login", "--with-token"], { env, input: f.token })).code).toBe(0);
    const out = await runCli(["logout"], { env: { ...env, MOGPLEX_API_KEY: f.token } });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("Removed mogplex");
    expect(out.stdout).toContain(
      "MOGPLEX_API_KEY is still set in your environment: the next session will authenticate with it",
    );
    expect(authJson(env).mogplex).toBeUndefined();
    const after = await runCli(["auth", "status"], { env: { ...env, MOGPLEX_API_KEY: f.token } });
    expect(after.stdout).toContain("environment variable MOGPLEX_API_KEY");
    expect((await runCli(["auth", "status"], { env })).code).toBe(64);
  });

  it("bare `mogplex` without credentials and without a terminal: one clear line, exit 64", async () => {
    const r = await runCli([], { env: client() });
    expect(r.code).toBe(64);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("run `mogplex` in a terminal");
  });
});

describe("session logs", () => {
  it("every session wrote a 0600 log in a 0700 folder, and none holds a token or its body", () => {
    expect(secrets.size).toBeGreaterThanOrEqual(5);
    let files = 0;
    for (const home of homes) {
      const { files: list, text } = sessionLogs(home);
      expect(mode(join(home, "logs"))).toBe(0o700);
      for (const file of list) expect(mode(file)).toBe(0o600);
      files += list.length;
      for (const s of secrets) {
        expect(text).not.toContain(s);
        if (s.startsWith("mog_")) expect(text).not.toContain(s.slice(4));
      }
      expect(text).not.toMatch(/"type":"mogplex"/); // nothing of auth.json's content either
    }
    expect(files).toBeGreaterThanOrEqual(10);
  });
});

async function startFixtureTeam(): Promise<{ token: string; repoId: string }> {
  const email = "owner@beta.test";
  await f.admin("create-user", "--email", email, "--team", "beta");
  const token = await f.admin("create-token", "--email", email, "--name", "beta");
  const repo = join(f.dataDir, "..", "repo");
  const repoId = await f.admin("add-repo", "--team", "beta", "--name", "beta/repo", "--path", repo);
  secrets.add(token);
  return { token, repoId };
}
