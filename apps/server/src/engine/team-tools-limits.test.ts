// Team tool calls count against the run's limits: a run may make at most 4 × MOGPLEX_AGENT_MAX_STEPS of them, and
// the run's time limit cancels a call in flight at the upstream (the request log says so).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stdioEverything } from "../gateway/test-support/everything.js";
import { type Actor, actor, dataOf, ROOMY_BUDGETS, startRun } from "../runs/test-support/api.js";
import { createHarness, type Harness } from "../test-support/harness.js";
import { startEngine } from "./index.js";
import { addRepo, allEvents, bareRemote, untilTerminal } from "./test-support/engine.js";
import { type ScriptedModel, startScriptedModel } from "./test-support/scripted-model.js";
import type { Worker } from "./worker.js";

let h: Harness;
let model: ScriptedModel;
let worker: Worker;
let a: Actor;

beforeAll(async () => {
  model = await startScriptedModel();
  h = await createHarness({
    env: {
      ...ROOMY_BUDGETS,
      MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
      MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
      MOGPLEX_SANDBOX_PROCESSES: "128",
      MOGPLEX_SANDBOX_DISK_MB: "128",
      MOGPLEX_AGENT_MAX_STEPS: "2",
      MOGPLEX_AGENT_RUN_TIMEOUT_MS: "12000",
    },
  });
  worker = await startEngine(h.s, { pollMs: 200 });
  a = await actor(h);
  a.repoId = await addRepo(h, a.user.teamId, bareRemote(h.dataDir));
  await h.s.connections.create(
    a.user.teamId,
    a.user.userId,
    { kind: "mcp_server", name: "everything", ...stdioEverything() },
    { actorType: "system", actorId: null },
  );
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await h?.close();
  await model?.close();
});

describe("team tools and the run's limits", () => {
  it("a run makes at most 4 × max steps team tool calls; the rest are refused", async () => {
    const calls = Array.from({ length: 9 }, (_, i) => ({
      name: "everything__echo",
      args: { message: `m${i}` },
    }));
    model.on("TL-CAP", [{ toolCalls: calls }, { text: "done" }]);
    const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "TL-CAP", tools: ["everything__*"] });
    expect(r.status).toBe(202);
    const run = await untilTerminal(h, a.user.teamId, dataOf(r.body).run.id, 60_000);
    expect(run.status).toBe("success");
    const finished = (await allEvents(h, run.id)).filter(
      (e) => e.type === "tool_finished" && e.toolName === "everything__echo",
    );
    expect(finished).toHaveLength(9);
    const refused = finished.filter((e) => JSON.stringify(e.payload).includes("used its 8 team tool calls"));
    expect(refused).toHaveLength(1);
    await h.s.gateway.log.flush();
    const rows = await h.s.db.db
      .selectFrom("gateway_requests")
      .select("status")
      .where("run_id", "=", run.id)
      .execute();
    expect(rows.map((x) => x.status)).toEqual(Array(8).fill("ok"));
  }, 90_000);

  it("the run's time limit cancels a team tool call in flight", async () => {
    model.on("TL-SLOW", [
      {
        toolCalls: [
          { name: "everything__trigger-long-running-operation", args: { duration: 300, steps: 300 } },
        ],
      },
      { text: "done" },
    ]);
    const r = await startRun(h, a.token, {
      repoId: a.repoId,
      prompt: "TL-SLOW",
      tools: ["everything__trigger-long-running-operation"],
    });
    const run = await untilTerminal(h, a.user.teamId, dataOf(r.body).run.id, 60_000);
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/^run_timeout/);
    await h.s.gateway.log.flush();
    const rows = await h.s.db.db
      .selectFrom("gateway_requests")
      .select(["tool", "status", "error_class"])
      .where("run_id", "=", run.id)
      .execute();
    expect(rows).toEqual([
      { tool: "trigger-long-running-operation", status: "error", error_class: "cancelled" },
    ]);
  }, 90_000);
});
