// End-to-end headless commands against a real `mogplex serve`: repos, run (idempotent), runs list/get/events/
// cancel, --follow over SSE (surviving a server restart), sandboxes, --json/NDJSON, MOGPLEX_DEBUG session logs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientEnv, type Fixture, killLive, sessionLogs, startCli, startFixture } from "./cli-support.js";
import { cleanup, ensureBuilt, lines, runCli } from "./support.js";

let f: Fixture;
let env: Record<string, string>;
const cli = (args: string[], extra: Record<string, string> = {}) =>
  runCli(args, { env: { ...env, ...extra } });

beforeAll(async () => {
  ensureBuilt();
  f = await startFixture();
  env = clientEnv(f.url, { MOGPLEX_API_KEY: f.token });
});
afterAll(async () => {
  killLive();
  await f?.stop();
  cleanup();
});

async function startRun(prompt: string): Promise<string> {
  const r = await cli(["run", "--repo", f.repoId, prompt, "--json"]);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { run: { id: string } }).run.id;
}

describe("headless commands", { timeout: 120_000 }, () => {
  it("repos list: one line per repo, NDJSON with --json", async () => {
    const human = await cli(["repos", "list"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe(`${f.repoId}  acme/repo  main\n`);
    const json = await cli(["repos", "list", "--json"]);
    const rows = lines(json.stdout).map((l) => JSON.parse(l) as { id: string; fullName: string });
    expect(rows).toEqual([expect.objectContaining({ id: f.repoId, fullName: "acme/repo" })]);
  });

  it("run twice with one --idempotency-key: started, then matched existing run", async () => {
    const args = ["run", "--repo", f.repoId, "fix the flaky test", "--idempotency-key", "e2e-key-1"];
    const first = await cli(args);
    expect(first.code).toBe(0);
    const id = /^started run (\S+) \(pending\)$/m.exec(first.stdout)?.[1] as string;
    expect(id).toBeTruthy();
    expect(first.stdout).toContain(`mogplex runs events ${id} --follow`);
    const second = await cli(args);
    expect(second.code).toBe(0);
    expect(second.stdout.split("\n")[0]).toBe(`matched existing run ${id}`);
    const json = JSON.parse((await cli([...args, "--json"])).stdout) as {
      run: { id: string };
      replayed: boolean;
    };
    expect(json).toMatchObject({ run: { id }, replayed: true, idempotencyKey: "e2e-key-1" });
    // Without a key each call is a new run (a fresh UUID per call).
    const other = await cli(["run", "--repo", f.repoId, "fix the flaky test"]);
    expect(other.stdout).toMatch(/^started run /);
    expect(other.stdout).not.toContain(id);
  });

  it("runs list / get, as lines and as JSON", async () => {
    const id = await startRun("list me\nwith a second line");
    const list = await cli(["runs", "list", "--json"]);
    expect(lines(list.stdout).map((l) => (JSON.parse(l) as { id: string }).id)).toContain(id);
    // People tell runs apart by their prompt: status, repo name, model, age and the prompt's first line.
    const listed = lines((await cli(["runs", "list"])).stdout).find((l) => l.startsWith(id));
    expect(listed).toMatch(
      new RegExp(`^${id} {2}pending {4}acme/repo {2}\\(default, resolved at start\\) +\\d+s ago {2}list me$`),
    );
    const get = await cli(["runs", "get", id, "--json"]);
    expect(JSON.parse(get.stdout)).toMatchObject({
      id,
      status: "pending",
      repoId: f.repoId,
      prompt: "list me\nwith a second line",
    });
    const human = await cli(["runs", "get", id]);
    expect(human.stdout).toMatch(/^status {3}pending$/m);
    expect(human.stdout).toContain(`repo     acme/repo (${f.repoId})`);
    expect(human.stdout).toContain("model    (default, resolved at start)");
    expect(human.stdout).toMatch(/^prompt\n {2}list me\n {2}with a second line\n$/m);
  });

  it("events --follow streams until the run ends and finishes with its terminal status", async () => {
    const id = await startRun("follow me");
    const follower = startCli(["runs", "events", id, "--follow", "--json"], { ...env, MOGPLEX_DEBUG: "1" });
    const cancel = await cli(["runs", "cancel", id]);
    expect(cancel.stdout.trim()).toBe(`cancelled run ${id}`);
    // The run did not succeed: exit 1, with the error as one JSON line on stderr.
    expect(await follower.exited()).toBe(1);
    expect(follower.stderr()).toContain(
      `{"error":{"exitCode":1,"code":"RUN_CANCELLED","message":"run ${id} ended cancelled"}}`,
    );
    const out = lines(follower.stdout()).map(
      (l) => JSON.parse(l) as { type?: string; seq?: number; run?: { status: string } },
    );
    expect(out.map((e) => e.type).filter(Boolean)).toEqual([
      "cancel_requested",
      "status_changed",
      "cancelled",
    ]);
    expect(out.at(-1)).toMatchObject({ run: { id, status: "cancelled" } });
    // MOGPLEX_DEBUG=1: a one-line warning, and stream chunks in the (still redacted) session log.
    expect(follower.stderr()).toMatch(/^mogplex: MOGPLEX_DEBUG=1: .*treat it like source code$/m);
    const logs = sessionLogs(env.MOGPLEX_HOME as string).text;
    expect(logs).toContain('"event":"stream.chunk"');
    expect(logs).not.toContain(f.token.slice(4));

    const again = await cli(["runs", "cancel", id]);
    expect(again.stdout.trim()).toBe(`run ${id} was already cancelled`);
    const human = await cli(["runs", "events", id]);
    expect(lines(human.stdout).map((l) => l.split(" ")[2])).toEqual([
      "cancel_requested:",
      "status_changed:",
      "cancelled:",
    ]);
  });

  it("--follow reconnects after the server restarts and still ends with the terminal status", async () => {
    const id = await startRun("survive a restart");
    const follower = startCli(["runs", "events", id, "--follow"], env);
    // Wait until the follower's stream is open (it has logged its GET of the stream), then cut it.
    await waitForLog(new RegExp(`"path":"/api/v1/mogplex/runs/${id}/events/stream","status":200`));
    await f.restart();
    expect((await cli(["runs", "cancel", id])).code).toBe(0);
    expect(await follower.exited()).toBe(1);
    expect(follower.stderr()).toContain(`mogplex: run ${id} ended cancelled`);
    expect(follower.stderr()).toMatch(/reconnecting in \d+ s|connection lost|stream closed/);
    const printed = lines(follower.stdout());
    expect(printed.at(-1)).toBe(`run ${id} cancelled`);
    expect(printed.filter((l) => l.includes(" cancelled: "))).toHaveLength(1);
  });

  it("--timeout gives up with exit 75 while the run is still going", async () => {
    const id = await startRun("never ends");
    const r = await cli(["runs", "events", id, "--follow", "--timeout", "1"]);
    expect(r.code).toBe(75);
    expect(r.stderr).toContain(`stopped following run ${id} after 1 s`);
  });

  it("sandboxes list and stop", async () => {
    const list = await cli(["sandboxes", "list", "--json"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toBe("");
    const missing = await cli(["sandboxes", "stop", "00000000-0000-0000-0000-000000000000"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not found/i);
  });
});

async function waitForLog(re: RegExp): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if (re.test(sessionLogs(env.MOGPLEX_HOME as string).text)) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`no ${re} in the session logs`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
