// End-to-end exit codes of the real binary: 0 ok, 1 error, 2 usage, 64 unauthenticated (401), 65 forbidden
// (403), 69 unavailable (503, fault-injected: a dead Redis under the limiter), 75 rate limited (429) / network.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientEnv, type Fixture, freePort, startFixture } from "./cli-support.js";
import { cleanup, ensureBuilt, runCli } from "./support.js";

const fixtures: Fixture[] = [];
let f: Fixture;

beforeAll(async () => {
  ensureBuilt();
  f = await startFixture();
  fixtures.push(f);
});
afterAll(async () => {
  for (const x of fixtures) await x.stop();
  cleanup();
});

const run = (env: Record<string, string>, ...args: string[]) => runCli(args, { env });

describe("exit codes", { timeout: 120_000 }, () => {
  it("2 for usage errors: run without --repo, unknown commands and flags, bad values", async () => {
    const env = clientEnv(f.url, { MOGPLEX_API_KEY: f.token });
    const noRepo = await run(env, "run", "do it");
    expect(noRepo.code).toBe(2);
    expect(noRepo.stderr).toContain("required option '--repo <id>' not specified");
    expect((await run(env, "frobnicate")).code).toBe(2);
    expect((await run(env, "repos", "list", "--bogus")).code).toBe(2);
    expect((await run(env, "repos", "list", "--limit", "lots")).code).toBe(2);
    expect((await run(env, "runs", "events", "x", "--timeout", "5")).code).toBe(2);
    expect((await run(env, "login", "--device", "--with-token")).code).toBe(2);
    expect((await run(env, "login")).code).toBe(2); // no terminal, no mode: say which flags exist
  });

  it("64 for an unknown token (401) and for no credentials at all", async () => {
    const bad = await run(clientEnv(f.url, { MOGPLEX_API_KEY: `mog_${"Z".repeat(32)}` }), "repos", "list");
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain("mogplex login");
    const none = await run(clientEnv(f.url), "repos", "list");
    expect(none.code).toBe(64);
    expect(none.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("65 for a token without the write scope (403), with the server's message", async () => {
    const readOnly = await f.admin("create-token", "--email", f.email, "--name", "ro", "--scopes", "read");
    const env = clientEnv(f.url, { MOGPLEX_API_KEY: readOnly });
    expect((await run(env, "repos", "list")).code).toBe(0);
    const denied = await run(env, "run", "--repo", f.repoId, "write something");
    expect(denied.code).toBe(65);
    expect(denied.stderr).toContain("Missing required scope: write.");
  });

  it("1 for other API errors (404) and for plain http to a non-loopback host", async () => {
    const env = clientEnv(f.url, { MOGPLEX_API_KEY: f.token });
    expect((await run(env, "runs", "get", "no-such-run")).code).toBe(1);
    const remote = await run({ ...env, MOGPLEX_URL: "http://mogplex.example.com" }, "repos", "list");
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain("refusing plain http to mogplex.example.com");
  });

  it("75 when the server can't be reached", async () => {
    const env = clientEnv(`http://127.0.0.1:${await freePort()}`, { MOGPLEX_API_KEY: f.token });
    const r = await run(env, "repos", "list");
    expect(r.code).toBe(75);
    expect(r.stderr).toContain("cannot reach");
  });

  it("75 when rate limited (429), printing Retry-After; --json carries it too", async () => {
    const limited = await startFixture({ MOGPLEX_PAT_RATE_LIMIT: "2/60s" }, "rl");
    fixtures.push(limited);
    const env = clientEnv(limited.url, { MOGPLEX_API_KEY: limited.token });
    expect((await run(env, "repos", "list")).code).toBe(0);
    expect((await run(env, "repos", "list")).code).toBe(0);
    const third = await run(env, "repos", "list");
    expect(third.code).toBe(75);
    expect(third.stderr).toContain("Rate limit exceeded");
    expect(third.stderr).toMatch(/^Retry-After: \d+ s$/m);
    const json = await run(env, "repos", "list", "--json");
    expect(json.code).toBe(75);
    const err = JSON.parse(json.stderr) as {
      error: { status: number; code: string; retryAfterSeconds: number };
    };
    expect(err.error).toMatchObject({ status: 429, code: "RATE_LIMITED", exitCode: 75 });
    expect(err.error.retryAfterSeconds).toBeGreaterThan(0);
  });

  it("69 when the limiter's backend is down (503 fail-closed), printing Retry-After: 60 s", async () => {
    const broken = await startFixture({ REDIS_URL: "redis://127.0.0.1:1" }, "dead");
    fixtures.push(broken);
    const env = clientEnv(broken.url, { MOGPLEX_API_KEY: broken.token });
    const r = await run(env, "repos", "list");
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/^Retry-After: 60 s$/m);
  });
});
