// Crash recovery: a `mogplex worker` killed with SIGKILL mid-run, and claims that never started.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, ensureBuilt } from "../../../cli/src/e2e/support.js";
import { type Actor, actor, dataOf, ROOMY_BUDGETS, startRun } from "../runs/test-support/api.js";
import { noProcessesWith, someProcessesWith } from "../sandboxes/provider/test-support/sandbox.js";
import { createHarness, type Harness } from "../test-support/harness.js";
import { startEngine } from "./index.js";
import {
  addRepo,
  allEvents,
  bareRemote,
  harnessEnv,
  untilEvent,
  untilTerminal,
} from "./test-support/engine.js";
import { type ScriptedModel, startScriptedModel } from "./test-support/scripted-model.js";
import type { Worker } from "./worker.js";

const LEASE_MS = 1_500;
let h: Harness;
let model: ScriptedModel;
let a: Actor;
let childEnv: Record<string, string>;
const children: ChildProcess[] = [];
const workers: Worker[] = [];

beforeAll(async () => {
  ensureBuilt();
  model = await startScriptedModel();
  const engineEnv = {
    MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
    MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
    MOGPLEX_WORKER_LEASE_MS: String(LEASE_MS),
    MOGPLEX_WORKER_POLL_MS: "200",
  };
  h = await createHarness({ env: { ...ROOMY_BUDGETS, ...engineEnv } });
  a = await actor(h);
  a.repoId = await addRepo(h, a.user.teamId, bareRemote(h.dataDir));
  childEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: h.dataDir,
    ...(await harnessEnv(h)),
    ...engineEnv,
  };
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const w of workers) await w.stop();
  await h.close();
  await model.close();
});

/** Starts `mogplex worker` and resolves once it says it is running. */
function spawnWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, "worker", "--concurrency", "1"], {
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`worker did not start\n${out}\n${err}`)), 20_000);
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("mogplex worker ") && out.includes(" started")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before starting\n${out}\n${err}`));
    });
  });
}

describe("worker crash recovery", () => {
  it("kill -9 of the worker mid-run: the sandbox dies with it and another worker fails the run as worker_lost", async () => {
    const marker = `crash-marker-${Date.now()}`;
    model.on("E2E-CRASH", [
      { toolCalls: [{ name: "run_command", args: { command: `sleep 300; echo ${marker}` } }] },
    ]);
    const doomed = await spawnWorker();
    const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "E2E-CRASH" });
    const runId = dataOf(r.body).run.id;
    await untilEvent(h, runId, (e) => e.type === "tool_started", 20_000);
    expect((await someProcessesWith(marker)).length).toBeGreaterThan(0);

    doomed.kill("SIGKILL");
    // --die-with-parent: the sandboxed command goes with its worker, nothing is left running.
    await noProcessesWith(marker, 5_000);
    const crashed = await h.s.runs.get(a.user.teamId, runId);
    expect(crashed.status).toBe("running");
    expect(existsSync(join(h.dataDir, "sandboxes", crashed.sandbox_id as string))).toBe(true);

    workers.push(await startEngine(h.s, { leaseMs: LEASE_MS, pollMs: 200 }));
    const done = await untilTerminal(h, a.user.teamId, runId, 15_000);
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/^worker_lost:/);
    const events = await allEvents(h, runId);
    expect(events.at(-1)).toMatchObject({ type: "failed", payload: { reason: "worker_lost" } });
    expect(events.at(-2)?.payload).toEqual({ from: "running", to: "failed" });
    const sandbox = await h.s.sandboxes.get(a.user.teamId, done.sandboxId as string);
    expect(sandbox).toMatchObject({ status: "error", error: "worker_lost" });
    // What the dead worker left on disk is swept by the worker that recovered the run.
    const dir = join(h.dataDir, "sandboxes", sandbox.id);
    const until2 = Date.now() + 10_000;
    while (existsSync(dir) && Date.now() < until2) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(dir)).toBe(false);
  });

  it("a run claimed by a worker that died before starting it goes to the next worker", async () => {
    model.on("E2E-REQUEUE", [{ text: "nothing to change" }]);
    // Stop claiming while we plant a lease, as a worker would that claimed the run and then died.
    for (const w of workers.splice(0)) await w.stop();
    const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "E2E-REQUEUE" });
    const runId = dataOf(r.body).run.id;
    const now = Date.now();
    await h.s.db.db
      .insertInto("run_leases")
      .values({
        run_id: runId,
        worker_id: "dead",
        claimed_at: now,
        heartbeat_at: now,
        expires_at: now + 500,
        started: 0,
        attempts: 1,
      })
      .execute();
    const next = await startEngine(h.s, { leaseMs: LEASE_MS, pollMs: 200 });
    workers.push(next);
    const done = await untilTerminal(h, a.user.teamId, runId, 15_000);
    expect(done.status).toBe("success");
    const started = (await allEvents(h, runId)).find((e) => e.type === "started");
    expect(started?.payload).toMatchObject({ worker: next.id });
  });
});
