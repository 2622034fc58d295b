// The harness's limits end runs in a clear state: model-call timeout, run timeout, step limit, sandbox lifetime.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, actor, dataOf, ROOMY_BUDGETS, startRun } from "../runs/test-support/api.js";
import { noProcessesWith } from "../sandboxes/provider/test-support/sandbox.js";
import { createHarness, type Harness } from "../test-support/harness.js";
import { startEngine } from "./index.js";
import { addRepo, allEvents, bareRemote, untilTerminal } from "./test-support/engine.js";
import { type ScriptedModel, startScriptedModel } from "./test-support/scripted-model.js";
import type { Worker } from "./worker.js";

let model: ScriptedModel;
const open: Array<{ h: Harness; w: Worker }> = [];

beforeAll(async () => {
  model = await startScriptedModel();
});
afterAll(async () => {
  for (const { h, w } of open) {
    await w.stop();
    await h.close();
  }
  await model.close();
});

async function setup(env: Record<string, string>): Promise<{ h: Harness; a: Actor }> {
  const h = await createHarness({
    env: {
      ...ROOMY_BUDGETS,
      MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
      MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
      ...env,
    },
  });
  const w = await startEngine(h.s, { pollMs: 200 });
  open.push({ h, w });
  const a = await actor(h);
  a.repoId = await addRepo(h, a.user.teamId, bareRemote(h.dataDir));
  return { h, a };
}

async function run(h: Harness, a: Actor, prompt: string) {
  const r = await startRun(h, a.token, { repoId: a.repoId, prompt });
  return untilTerminal(h, a.user.teamId, dataOf(r.body).run.id, 20_000);
}

describe("agent limits", () => {
  let h: Harness;
  let a: Actor;
  beforeAll(async () => {
    ({ h, a } = await setup({
      MOGPLEX_AGENT_STEP_TIMEOUT_MS: "1000",
      MOGPLEX_AGENT_RUN_TIMEOUT_MS: "4000",
      MOGPLEX_AGENT_MAX_STEPS: "2",
    }));
  });

  it("a model call past the per-step timeout fails the run, saying so", async () => {
    model.on("LIMIT-CALL-TIMEOUT", [{ text: "too late", delayMs: 2_500 }]);
    const done = await run(h, a, "LIMIT-CALL-TIMEOUT");
    expect(done.status).toBe("failed");
    expect(done.error).toBe("model call timed out after 1s");
    expect((await allEvents(h, done.id)).at(-1)?.payload).toMatchObject({
      reason: "model_error",
      stage: "agent",
    });
  });

  it("a run past its time limit is failed and its sandbox's processes killed", async () => {
    const marker = `run-timeout-${Date.now()}`;
    model.on("LIMIT-RUN", [
      { toolCalls: [{ name: "run_command", args: { command: `sleep 60; echo ${marker}` } }] },
    ]);
    const done = await run(h, a, "LIMIT-RUN");
    expect(done.status).toBe("failed");
    expect(done.error).toBe("run_timeout: the run passed its 4s time limit");
    await noProcessesWith(marker, 2_000);
  });

  it("stops at the step limit and still commits what was done", async () => {
    model.on("LIMIT-STEPS", (_req, step) => ({
      toolCalls: [{ name: "write_file", args: { path: `step-${step}.txt`, content: `${step}\n` } }],
    }));
    const done = await run(h, a, "LIMIT-STEPS");
    expect(done.status).toBe("success");
    const events = await allEvents(h, done.id);
    expect(events.filter((e) => e.type === "model_call")).toHaveLength(2);
    expect(
      events.find((e) => e.type === "log" && e.message?.startsWith("Stopped at the step limit")),
    ).toBeTruthy();
    expect(events.filter((e) => e.type === "commit")).toHaveLength(1);
  });
});

describe("sandbox lifetime", () => {
  it("a sandbox past its lifetime is stopped (lifetime_timeout) and the run fails", async () => {
    const { h, a } = await setup({ MOGPLEX_SANDBOX_LIFETIME_MS: "1500" });
    model.on("LIMIT-LIFETIME", [{ toolCalls: [{ name: "run_command", args: { command: "sleep 60" } }] }]);
    const done = await run(h, a, "LIMIT-LIFETIME");
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/^sandbox_lifetime_timeout:/);
    const sandbox = await h.s.sandboxes.get(a.user.teamId, done.sandboxId as string);
    expect(sandbox).toMatchObject({ status: "stopped", stop_reason: "lifetime_timeout" });
  });
});
