// Scale-out processes dying, from outside: a `mogplex worker` SIGKILLed mid-run and a `mogplex serve` replica
// SIGKILLed under a live event stream. The run ends `worker_lost` within its lease while the other worker goes
// on; the follower reconnects through the front to another replica and misses nothing. Runs in the PostgreSQL
// phase of `npm test` (MOGPLEX_TEST_DB=postgres).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, startCluster } from "../test-support/cluster/cluster.js";
import { api, follow, startRun } from "../test-support/cluster/http.js";

type RunView = { id: string; status: string; error: string | null };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const LEASE_MS = 4_000;

describe("the cluster when a worker or a replica dies", { timeout: 120_000 }, () => {
  let c: Cluster;

  beforeAll(async () => {
    c = await startCluster({
      env: {
        MOGPLEX_PAT_RATE_LIMIT: "100000/60s",
        MOGPLEX_RUN_START_LIMITS: "1000/1m,1000/1h,1000/1d",
        MOGPLEX_WORKER_LEASE_MS: String(LEASE_MS),
      },
    });
  }, 180_000);
  afterAll(async () => {
    await c?.close();
  }, 60_000);

  async function start(prompt: string): Promise<string> {
    const r = await startRun<{ data: { run: RunView } }>(c.front.url, c.owner.token, {
      repoId: c.repoId,
      prompt,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    return r.body.data.run.id;
  }
  async function untilEnded(runId: string, ms: number): Promise<RunView & { endedAt: number }> {
    const until = Date.now() + ms;
    for (;;) {
      const r = await api<{ data: { run: RunView } }>(c.front.url, c.owner.token, "GET", `/runs/${runId}`);
      if (["success", "failed", "cancelled"].includes(r.body.data.run.status))
        return { ...r.body.data.run, endedAt: Date.now() };
      if (Date.now() > until) throw new Error(`run ${runId} not ended after ${ms} ms`);
      await sleep(100);
    }
  }
  /** The worker id in the run's `started` event. */
  const executedBy = async (runId: string) =>
    (
      await c.db<{ worker: string }>(
        "select payload::json->>'worker' as worker from run_events where run_id = $1 and type = 'started'",
        [runId],
      )
    )[0]?.worker;

  it("a worker SIGKILLed mid-run: the run ends worker_lost within the lease, and the other worker takes new runs", async () => {
    c.model.on("CLUSTER-CRASH", [{ toolCalls: [{ name: "run_command", args: { command: "sleep 300" } }] }]);
    const runId = await start("CLUSTER-CRASH");
    const until = Date.now() + 30_000;
    while (
      (await c.db("select 1 from run_events where run_id = $1 and type = 'tool_started'", [runId])).length ===
      0
    ) {
      expect(Date.now()).toBeLessThan(until);
      await sleep(100);
    }
    const workerId = await executedBy(runId);
    const doomed = c.workers.find((w) => w.id === workerId);
    const survivor = c.workers.find((w) => w.id !== workerId);
    if (!doomed || !survivor) throw new Error(`run ${runId} was not executed by a worker of the cluster`);

    await doomed.kill("SIGKILL");
    const killedAt = Date.now();
    const lost = await untilEnded(runId, LEASE_MS + 10_000);
    expect({ status: lost.status, error: lost.error?.split(":")[0] }).toEqual({
      status: "failed",
      error: "worker_lost",
    });
    // Lost once the lease (last renewed before the kill) runs out; on top, a replica's recovery poll and ours,
    // on a machine other suites share.
    expect(lost.endedAt - killedAt).toBeLessThan(LEASE_MS + 2_000);
    const last = await c.db<{ type: string; reason: string }>(
      "select type, payload::json->>'reason' as reason from run_events where run_id = $1 order by seq desc limit 1",
      [runId],
    );
    expect(last).toEqual([{ type: "failed", reason: "worker_lost" }]);

    c.model.on("CLUSTER-NEXT", [{ text: "picked up by the survivor" }]);
    const next = await start("CLUSTER-NEXT");
    expect((await untilEnded(next, 60_000)).status).toBe("success");
    expect(await executedBy(next)).toBe(survivor.id);
    expect(survivor.alive()).toBe(true);
    for (const r of c.replicas) expect(r.alive(), r.stderr()).toBe(true);
    // Back to two workers for what follows.
    c.workers.splice(c.workers.indexOf(doomed), 1);
    await c.startWorker();
  });

  it("a replica SIGKILLed mid-stream: the follower reconnects through the front to another replica and misses nothing", async () => {
    c.model.on("CLUSTER-FAILOVER", [
      { toolCalls: [{ name: "write_file", args: { path: "1.txt", content: "1\n" } }], delayMs: 400 },
      { toolCalls: [{ name: "write_file", args: { path: "2.txt", content: "2\n" } }], delayMs: 400 },
      { toolCalls: [{ name: "run_command", args: { command: "cat 1.txt 2.txt" } }], delayMs: 1_500 },
      { toolCalls: [{ name: "write_file", args: { path: "3.txt", content: "3\n" } }], delayMs: 400 },
      { text: "four files later", delayMs: 400 },
    ]);
    const runId = await start("CLUSTER-FAILOVER");
    let killed: Promise<void> | undefined;
    let victim = "";
    const f = follow(() => c.front.url, c.owner.token, runId, {
      onEvent: (r) => {
        // Mid-run, on the first connection: kill the replica serving it.
        if (killed || r.connection !== 0 || r.event.type !== "tool_finished") return;
        victim = f.connections[0]?.upstream ?? "";
        const replica = c.replicas.find((x) => x.url === victim);
        if (!replica) throw new Error(`the front named an unknown replica ${victim}`);
        killed = replica.kill("SIGKILL");
      },
    });
    await f.done;
    await killed;
    expect(victim).not.toBe("");

    const stored = await c.db<{ id: string; seq: number }>(
      "select id, seq from run_events where run_id = $1 order by seq",
      [runId],
    );
    expect(f.received.map((x) => x.event.id)).toEqual(stored.map((e) => e.id));
    expect(f.received.at(-1)?.event.type).toBe("finished");
    // Reconnected (once the dead replica's stream broke) to a live replica, resuming after what it had.
    expect(f.connections.length).toBeGreaterThanOrEqual(2);
    expect(f.connections[0]?.upstream).toBe(victim);
    const resumed = f.connections.at(-1);
    expect(resumed?.upstream).not.toBe(victim);
    expect(Number(resumed?.lastEventId)).toBeGreaterThan(0);
    expect(f.received.filter((x) => x.connection === 0).length).toBeLessThan(stored.length);

    const index = c.replicas.findIndex((x) => x.url === victim);
    await c.startReplica(index);
    for (const r of c.replicas) expect((await api(r.url, c.owner.token, "GET", "/repos")).status).toBe(200);
  });
});
