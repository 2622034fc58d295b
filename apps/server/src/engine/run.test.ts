// End to end through the API, the real sandbox and real git, with a scripted model on loopback.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RunEvent } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Actor,
  API,
  dataOf,
  errorOf,
  eventOf,
  SseReader,
  startRun,
  within,
} from "../runs/test-support/api.js";
import type { Harness } from "../test-support/harness.js";
import { addRepo, allEvents, gitIn, untilEvent, untilTerminal } from "./test-support/engine.js";
import { type RunFixture, startRunFixture } from "./test-support/run-fixture.js";
import type { ScriptedModel } from "./test-support/scripted-model.js";

let h: Harness;
let model: ScriptedModel;
let a: Actor;
let remote: string;

let fixture: RunFixture;

beforeAll(async () => {
  fixture = await startRunFixture();
  ({ h, model, a, remote } = fixture);
});

afterAll(() => fixture.close());

const types = (events: RunEvent[]) => events.map((e) => (e.toolName ? `${e.type}:${e.toolName}` : e.type));

async function start(body: Record<string, unknown>) {
  const r = await startRun(h, a.token, { repoId: a.repoId, ...body });
  expect(r.status).toBe(202);
  return dataOf(r.body).run;
}

describe("a run end to end", () => {
  it("edits the repo in the sandbox, runs a command, commits to the working branch of the remote, streams every step", async () => {
    model.on("E2E-HAPPY", [
      { toolCalls: [{ name: "write_file", args: { path: "hello.txt", content: "hello\nworld\n" } }] },
      {
        toolCalls: [
          { name: "run_command", args: { command: "cat hello.txt && echo built > build.log && id -u" } },
        ],
      },
      { toolCalls: [{ name: "edit_file", args: { path: "src/app.txt", old: "two", new: "2" } }] },
      { text: "Added hello.txt, wrote build.log, edited src/app.txt." },
    ]);
    const run = await start({ prompt: "E2E-HAPPY: add a greeting file\n\nMore detail here." });
    // Follow live over SSE from the start: the stream closes itself after the terminal event.
    const res = await h.request("GET", `${API}/runs/${run.id}/events/stream`, { token: a.token });
    expect(res.status).toBe(200);
    const streamed = (await within(new SseReader(res).rest(20_000), 30_000, "the run's event stream")).map(
      eventOf,
    );

    const done = await untilTerminal(h, a.user.teamId, run.id);
    expect({ status: done.status, error: done.error }).toEqual({ status: "success", error: null });
    expect(done.usage).toEqual({ inputTokens: 400, outputTokens: 80, costUsd: 0 });
    expect(done.branch.working).toMatch(/^mogplex\/run\/\d{4}-\d{2}-\d{2}\/e2e-happy-add-a-greeting-file-/);

    // Every event, in order, gap-free, each once.
    expect(streamed.map((e) => e.seq)).toEqual(streamed.map((_, i) => i + 1));
    expect(types(streamed)).toEqual([
      "started",
      "status_changed",
      "log",
      "log",
      "model_call",
      "tool_started:write_file",
      "tool_finished:write_file",
      "file_changed:write_file",
      "model_call",
      "tool_started:run_command",
      "tool_finished:run_command",
      "file_changed:run_command",
      "model_call",
      "tool_started:edit_file",
      "tool_finished:edit_file",
      "file_changed:edit_file",
      "model_call",
      "commit",
      "status_changed",
      "finished",
    ]);
    const byType = (t: string, tool?: string) =>
      streamed.filter((e) => e.type === t && (!tool || e.toolName === tool));
    expect(byType("file_changed").map((e) => e.payload)).toEqual([
      { path: "hello.txt", added: 2, removed: 0, binary: false },
      { path: "build.log", added: 1, removed: 0, binary: false },
      { path: "src/app.txt", added: 1, removed: 1, binary: false },
    ]);
    const cmd = byType("tool_finished", "run_command")[0]?.payload as Record<string, unknown>;
    expect(cmd).toMatchObject({ exitCode: 0, timedOut: false });
    expect(cmd.output).toContain("exit code: 0\n--- stdout ---\nhello\nworld\n1000\n");
    expect(byType("tool_started", "run_command")[0]?.payload).toEqual({
      arguments: { command: "cat hello.txt && echo built > build.log && id -u" },
    });
    expect(byType("model_call")[0]?.payload).toMatchObject({
      model: "openai-compatible/scripted-coder",
      inputTokens: 100,
      outputTokens: 20,
      priced: false,
    });
    expect(byType("status_changed").map((e) => e.payload)).toEqual([
      { from: "pending", to: "running" },
      { from: "running", to: "success" },
    ]);

    // The commit is on the working branch of the remote, by Mogplex, with a message from the prompt.
    const working = done.branch.working as string;
    const commit = byType("commit")[0]?.payload as { sha: string; branch: string };
    expect(commit.branch).toBe(working);
    expect(gitIn(remote, "rev-parse", `refs/heads/${working}`)).toBe(commit.sha);
    expect(gitIn(remote, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s", working)).toBe(
      "Mogplex <agent@mogplex.local>|Mogplex <agent@mogplex.local>|E2E-HAPPY: add a greeting file",
    );
    expect(gitIn(remote, "log", "-1", "--format=%b", working)).toContain(`Mogplex-Run: ${run.id}`);
    expect(gitIn(remote, "show", `${working}:hello.txt`)).toBe("hello\nworld");
    expect(gitIn(remote, "show", `${working}:src/app.txt`)).toBe("one\n2");
    expect(gitIn(remote, "rev-parse", `${working}~1`)).toBe(gitIn(remote, "rev-parse", "main"));

    // The model was called through the real OpenAI-compatible provider path.
    expect(model.requests.filter((r) => JSON.stringify(r.messages).includes("E2E-HAPPY"))).toHaveLength(4);

    // The sandbox ended with its run, and its files are gone.
    const sandbox = await h.s.sandboxes.get(a.user.teamId, done.sandboxId as string);
    expect(sandbox).toMatchObject({ status: "stopped", run_id: run.id, working_branch: working });
    expect(existsSync(join(h.dataDir, "sandboxes", sandbox.id))).toBe(false);
  });

  it("records on the run the model it resolved to, once it starts", async () => {
    model.on("E2E-MODEL", [{ text: "Nothing to change." }]);
    const run = await start({ prompt: "E2E-MODEL: look around\nsecond line" });
    // Nothing was asked for: pending, the run names no model; the engine resolves MOGPLEX_DEFAULT_MODEL.
    expect(run).toMatchObject({ model: null, prompt: "E2E-MODEL: look around\nsecond line" });
    const done = await untilTerminal(h, a.user.teamId, run.id);
    expect(done.model).toBe("openai-compatible/scripted-coder");
    const read = await h.json<{ data: { run: { model: string | null } } }>("GET", `${API}/runs/${run.id}`, {
      token: a.token,
    });
    expect(read.body.data.run.model).toBe("openai-compatible/scripted-coder");
  });

  it("keeps tool paths inside the workspace and hands the failure back to the model", async () => {
    model.on("E2E-PATHS", [
      {
        toolCalls: [
          { name: "write_file", args: { path: "../../escape.txt", content: "x" } },
          { name: "read_file", args: { path: "/etc/shadow" } },
        ],
      },
      { text: "could not" },
    ]);
    const run = await start({ prompt: "E2E-PATHS" });
    const done = await untilTerminal(h, a.user.teamId, run.id);
    expect(done.status).toBe("success");
    const finished = (await allEvents(h, run.id)).filter((e) => e.type === "tool_finished");
    expect(finished.map((e) => (e.payload as { error?: string }).error)).toEqual([
      expect.stringMatching(/outside the workspace/),
      expect.stringMatching(/outside the workspace/),
    ]);
    expect(existsSync(join(h.dataDir, "escape.txt"))).toBe(false);
    // Nothing changed, so nothing was pushed.
    expect(() => gitIn(remote, "rev-parse", `refs/heads/${done.branch.working}`)).toThrow();
  });

  it("refuses at creation, with the variable to set, a model whose provider has no credentials", async () => {
    const r = await startRun(h, a.token, {
      repoId: a.repoId,
      prompt: "needs anthropic",
      model: "anthropic/claude-sonnet-4-5",
    });
    expect(r.status).toBe(400);
    expect(errorOf(r.body).message).toMatch(
      /No credentials for provider "anthropic".*set ANTHROPIC_API_KEY on the server/,
    );
    const runs = await h.s.runs.list(a.user.teamId, { limit: 200 });
    expect(runs.runs.some((x) => x.prompt === "needs anthropic")).toBe(false);
  });

  it("cancel during a long command: stops the loop, kills the sandbox's processes, ends cancelled", async () => {
    const marker = `sleep-marker-${Date.now()}`;
    model.on("E2E-CANCEL", [
      { toolCalls: [{ name: "run_command", args: { command: `sleep 300; echo ${marker}` } }] },
    ]);
    const run = await start({ prompt: "E2E-CANCEL" });
    await untilEvent(h, run.id, (e) => e.type === "tool_started");
    const { someProcessesWith, noProcessesWith } = await import(
      "../sandboxes/provider/test-support/sandbox.js"
    );
    expect((await someProcessesWith(marker)).length).toBeGreaterThan(0);

    const r = await h.json<{ ok: true; data: { run: { status: string }; alreadyTerminal: boolean } }>(
      "POST",
      `${API}/runs/${run.id}/cancel`,
      { token: a.token },
    );
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ alreadyTerminal: false, run: { status: "cancelled" } });
    await noProcessesWith(marker, 2_000);
    const events = await allEvents(h, run.id);
    expect(types(events).slice(-3)).toEqual(["cancel_requested", "status_changed", "cancelled"]);
    expect(events.at(-2)?.payload).toEqual({ from: "running", to: "cancelled" });
    const done = await untilTerminal(h, a.user.teamId, run.id);
    const sandbox = await h.s.sandboxes.get(a.user.teamId, done.sandboxId as string);
    expect(sandbox).toMatchObject({ status: "stopped", stop_reason: "manual" });
  });

  it("stopping the sandbox through the API ends the run as failed with the reason", async () => {
    model.on("E2E-STOP", [{ toolCalls: [{ name: "run_command", args: { command: "sleep 300" } }] }]);
    const run = await start({ prompt: "E2E-STOP" });
    await untilEvent(h, run.id, (e) => e.type === "tool_started");
    const sandboxId = (await h.s.runs.get(a.user.teamId, run.id)).sandbox_id as string;
    const r = await h.json<{
      ok: true;
      data: { sandbox: { status: string; stopReason: string }; alreadyStopped: boolean };
    }>("POST", `${API}/sandboxes/${sandboxId}/stop`, { token: a.token });
    expect(r.body.data).toMatchObject({
      alreadyStopped: false,
      sandbox: { status: "stopped", stopReason: "manual" },
    });
    const done = await untilTerminal(h, a.user.teamId, run.id);
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/^sandbox_stopped:/);
  });

  it("a failing install command ends the run failed with its exit code, the sandbox in error", async () => {
    const repoId = await addRepo(h, a.user.teamId, remote, { installCommand: "echo installing; exit 3" });
    const r = await startRun(h, a.token, { repoId, prompt: "E2E-INSTALL" });
    const done = await untilTerminal(h, a.user.teamId, dataOf(r.body).run.id);
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/^install command failed \(exit 3\): installing/);
    const sandbox = await h.s.sandboxes.get(a.user.teamId, done.sandboxId as string);
    expect(sandbox.status).toBe("error");
  });
});
