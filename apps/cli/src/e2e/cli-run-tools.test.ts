// End to end against a real `mogplex serve`: `mogplex run --tool` sends the run's team tools; one the caller
// can't call is the server's 400 naming it (exit 1), a malformed name a usage error (exit 2) before any request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientEnv, type Fixture, signIn, startFixture } from "./cli-support.js";
import { cleanup, ensureBuilt, runCli } from "./support.js";

let f: Fixture;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, { env });

beforeAll(async () => {
  ensureBuilt();
  f = await startFixture();
  env = clientEnv(f.url, { MOGPLEX_API_KEY: f.token });
  const repos = await fetch(`${f.url}/api/v1/mogplex/repos`, {
    headers: { authorization: `Bearer ${f.token}` },
  });
  const teamId = ((await repos.json()) as { data: { repos: Array<{ teamId: string }> } }).data.repos[0]
    ?.teamId;
  const res = await fetch(`${f.url}/api/teams/${teamId}/connections`, {
    method: "POST",
    headers: { cookie: await signIn(f.url, f.email), origin: f.url, "content-type": "application/json" },
    body: JSON.stringify({ kind: "rest", name: "crm", url: "https://crm.example.test/api" }),
  });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await f?.stop();
  cleanup();
});

describe("mogplex run --tool", { timeout: 120_000 }, () => {
  it("starts a run with an allowed REST connection; refuses one the caller can't call, naming it", async () => {
    const ok = await cli(
      "run",
      "--repo",
      f.repoId,
      "sync the crm",
      "--tool",
      "rest:crm",
      "--tool",
      "rest:crm",
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^started run \S+ \(pending\)$/m);

    const refused = await cli("run", "--repo", f.repoId, "sync", "--tool", "rest:crm", "--tool", "rest:nope");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "tools: rest:nope: no enabled REST connection by that name for this repo",
    );

    const malformed = await cli("run", "--repo", f.repoId, "sync", "--tool", "no separator");
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain(
      "--tool no separator: name a tool as server__tool, server__* or rest:",
    );
  });
});
