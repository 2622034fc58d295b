// Durable claims on the real database: one owner per run under concurrency, heartbeats, expiry recovery.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, actor, newRun, ROOMY_BUDGETS } from "../runs/test-support/api.js";
import { createHarness, type Harness } from "../test-support/harness.js";
import { EngineStore, MAX_CLAIM_ATTEMPTS } from "./store.js";
import { allEvents } from "./test-support/engine.js";

let h: Harness;
let a: Actor;
let store: EngineStore;

beforeAll(async () => {
  h = await createHarness({ env: ROOMY_BUDGETS });
  a = await actor(h);
  store = new EngineStore(h.s.db.db, h.s.db.dialect, h.s.clock, h.s.events);
});

afterAll(async () => {
  await h.close();
});

async function drainPending(): Promise<void> {
  // Other tests' leftovers must not be claimed here: end every pending run of this suite first.
  await h.s.db.db.updateTable("runs").set({ status: "cancelled" }).where("status", "=", "pending").execute();
}

describe("EngineStore", () => {
  it("hands each pending run to exactly one of many concurrent claimers, oldest first", async () => {
    await drainPending();
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await newRun(h, a)).id);
    const claims = await Promise.all(Array.from({ length: 16 }, (_, i) => store.claim(`w${i}`, 60_000)));
    const won = claims.filter((c) => c !== null).map((c) => c?.id);
    expect(won.sort()).toEqual([...ids].sort());
    expect(await store.claim("late", 60_000)).toBeNull();
  });

  it("starts a claimed run (pending → running with its events) only under the claimer's lease", async () => {
    await drainPending();
    const run = await newRun(h, a);
    expect((await store.claim("owner", 60_000))?.id).toBe(run.id);
    expect(await store.start(run.id, "intruder", {})).toBe(false);
    expect(await store.start(run.id, "owner", { worker: "owner" })).toBe(true);
    expect((await h.s.runs.get(a.user.teamId, run.id)).status).toBe("running");
    expect((await allEvents(h, run.id)).map((e) => e.type)).toEqual(["started", "status_changed"]);
    expect(await store.heartbeat(run.id, "owner", 60_000)).toBe(true);
    expect(await store.heartbeat(run.id, "intruder", 60_000)).toBe(false);
  });

  it("does not start a run cancelled while it was claimed", async () => {
    await drainPending();
    const run = await newRun(h, a);
    await store.claim("owner", 60_000);
    await h.s.runs.cancel(a.user.teamId, run.id, { actorType: "system", actorId: null });
    expect(await store.start(run.id, "owner", {})).toBe(false);
    expect((await h.s.runs.get(a.user.teamId, run.id)).status).toBe("cancelled");
  });

  it("re-queues an expired unstarted claim, fails an expired started run as worker_lost, once", async () => {
    await drainPending();
    const queued = await newRun(h, a);
    await store.claim("gone", 60_000);
    const started = await newRun(h, a);
    await store.claim("gone-too", 60_000);
    await store.start(started.id, "gone-too", {});
    // Expire both leases (a worker that stopped heartbeating).
    await h.s.db.db
      .updateTable("run_leases")
      .set({ expires_at: 0 })
      .where("run_id", "in", [queued.id, started.id])
      .execute();

    expect(await Promise.all([store.recoverExpired(), store.recoverExpired()]).then((r) => r.flat())).toEqual(
      [started.id],
    );
    const failed = await h.s.runs.get(a.user.teamId, started.id);
    expect(failed).toMatchObject({ status: "failed" });
    expect(failed.error).toMatch(/^worker_lost:/);
    expect(await store.heartbeat(started.id, "gone-too", 60_000)).toBe(false);
    // The unstarted one is simply claimable again.
    expect((await store.claim("next", 60_000))?.id).toBe(queued.id);
  });

  it("a run that ends (finished, or lost with its worker) keeps no preview URL, nor does its sandbox", async () => {
    const withPreview = async () => {
      await drainPending();
      const run = await newRun(h, a);
      await store.claim("w", 60_000);
      await store.start(run.id, "w", {});
      const sandbox = await h.s.sandboxes.create({
        ...{ teamId: a.user.teamId, repoId: a.repoId, runId: run.id, baseBranch: "main" },
        ...{ workingBranch: null, rootDirectory: "" },
      });
      await store.attachSandbox(run.id, sandbox.id);
      await h.s.sandboxes.setPreviewUrl(sandbox.id, `/preview/${sandbox.id}/`);
      expect((await h.s.runs.get(a.user.teamId, run.id)).preview_url).toBe(`/preview/${sandbox.id}/`);
      return { run, sandbox };
    };
    const previews = async (runId: string, sandboxId: string) => [
      (await h.s.runs.get(a.user.teamId, runId)).preview_url,
      (await h.s.sandboxes.get(a.user.teamId, sandboxId)).preview_url,
    ];

    const lost = await withPreview();
    await h.s.db.db
      .updateTable("run_leases")
      .set({ expires_at: 0 })
      .where("run_id", "=", lost.run.id)
      .execute();
    expect(await store.recoverExpired()).toEqual([lost.run.id]);
    expect(await previews(lost.run.id, lost.sandbox.id)).toEqual([null, null]);

    const done = await withPreview();
    const usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
    const outcome = {
      status: "success" as const,
      error: null,
      message: "done",
      sandbox: { status: "stopped" as const },
    };
    expect(await store.finish(done.run.id, outcome, usage, done.sandbox.id)).toBe(true);
    expect(await previews(done.run.id, done.sandbox.id)).toEqual([null, null]);
  });

  it(`fails a run whose claims keep dying before it starts (${MAX_CLAIM_ATTEMPTS} attempts)`, async () => {
    await drainPending();
    const run = await newRun(h, a);
    for (let i = 0; i < MAX_CLAIM_ATTEMPTS; i++) {
      expect((await store.claim(`crashy${i}`, 60_000))?.id).toBe(run.id);
      await h.s.db.db.updateTable("run_leases").set({ expires_at: 0 }).where("run_id", "=", run.id).execute();
    }
    expect(await store.claim("another", 60_000)).toBeNull();
    expect(await store.recoverExpired()).toEqual([run.id]);
    const row = await h.s.runs.get(a.user.teamId, run.id);
    expect(row.status).toBe("failed");
    expect(row.error).toMatch(/claimed 3 times/);
  });
});
