// Scale-out with its backing services taken away, from outside: the cluster's private PostgreSQL has its
// sessions terminated and is then restarted, its private Redis is stopped and started again. Every replica and
// worker stays up, answers promptly (503 + Retry-After meanwhile), and recovers by itself; nothing stored is
// lost. Runs in the PostgreSQL phase of `npm test` (MOGPLEX_TEST_DB=postgres).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, startCluster } from "../test-support/cluster/cluster.js";
import { type Answer, api, call, startRun } from "../test-support/cluster/http.js";

type Err = { ok: false; error: { code: string } };
type RunView = { id: string; status: string; error: string | null };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("the cluster when PostgreSQL or Redis goes away", { timeout: 120_000 }, () => {
  let c: Cluster;
  const urls = () => c.replicas.map((r) => r.url);

  beforeAll(async () => {
    c = await startCluster({
      env: {
        MOGPLEX_PAT_RATE_LIMIT: "100000/60s",
        MOGPLEX_RUN_START_LIMITS: "1000/1m,1000/1h,1000/1d",
        MOGPLEX_WORKER_LEASE_MS: "6000",
      },
    });
  }, 180_000);
  afterAll(async () => {
    await c?.close();
  }, 60_000);

  const probe = (base: string) => api<Err>(base, c.owner.token, "GET", "/runs?limit=1");

  /** Probes every replica back to back for `ms`; returns every answer. */
  async function probeFor(ms: number): Promise<Answer<Err>[]> {
    const until = Date.now() + ms;
    const answers: Answer<Err>[] = [];
    await Promise.all(
      urls().map(async (u) => {
        while (Date.now() < until) {
          answers.push(await probe(u));
          await sleep(50);
        }
      }),
    );
    return answers;
  }

  /** Milliseconds until every replica answers `status` (polling each), failing after `ms`. */
  async function untilEvery(
    status: number,
    ms: number,
    check?: (a: Answer<Err>) => boolean,
  ): Promise<number> {
    const from = Date.now();
    await Promise.all(
      urls().map(async (u) => {
        for (;;) {
          const a = await probe(u);
          if (a.status === status && (check?.(a) ?? true)) return;
          if (Date.now() - from > ms) throw new Error(`${u} still answers ${a.status} after ${ms} ms`);
          await sleep(50);
        }
      }),
    );
    return Date.now() - from;
  }

  const expectClean503 = (a: Answer<Err>, retryAfter?: string) => {
    expect(a.status).toBe(503);
    expect(a.body.error.code).toBe("SERVICE_UNAVAILABLE");
    if (retryAfter) expect(a.headers.get("retry-after")).toBe(retryAfter);
    else expect(Number(a.headers.get("retry-after"))).toBeGreaterThan(0);
  };

  /** Everything stored that must survive: run ids, event ids and audit rows. */
  const snapshot = async () => ({
    runs: (await c.db<{ id: string }>("select id from runs")).map((r) => r.id),
    events: (await c.db<{ id: string }>("select id from run_events")).map((r) => r.id),
    audit: (await c.db<{ id: string }>("select id from audit_events")).map((r) => r.id),
  });
  const expectKept = async (before: Awaited<ReturnType<typeof snapshot>>) => {
    const after = await snapshot();
    for (const k of ["runs", "events", "audit"] as const)
      expect(after[k], k).toEqual(expect.arrayContaining(before[k]));
    const verify = await c.admin(["audit", "verify"]);
    expect(verify.stdout, verify.stderr).toMatch(/^audit log intact: \d+ rows verified\n$/);
    expect(verify.code).toBe(0);
  };
  const everyoneAlive = () => {
    for (const p of [...c.replicas, ...c.workers]) expect(p.alive(), `${p.name}: ${p.stderr()}`).toBe(true);
  };

  async function runToTheEnd(marker: string, ms: number): Promise<RunView> {
    const started = await startRun<{ data: { run: RunView } }>(c.front.url, c.owner.token, {
      repoId: c.repoId,
      prompt: marker,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    return untilEnded(started.body.data.run.id, ms);
  }
  async function untilEnded(runId: string, ms: number): Promise<RunView> {
    const until = Date.now() + ms;
    for (;;) {
      const r = await api<{ data: { run: RunView } }>(c.front.url, c.owner.token, "GET", `/runs/${runId}`);
      if (r.status === 200 && ["success", "failed", "cancelled"].includes(r.body.data.run.status))
        return r.body.data.run;
      if (Date.now() > until) throw new Error(`run ${runId} not ended after ${ms} ms`);
      await sleep(200);
    }
  }

  it("database sessions terminated, then PostgreSQL restarted: all stay up, 503 within 3 s meanwhile, 200 within 10 s after", async () => {
    c.model.on("CLUSTER-PG-BEFORE", [{ text: "before the outage" }]);
    expect((await runToTheEnd("CLUSTER-PG-BEFORE", 60_000)).status).toBe("success");
    for (const u of urls()) expect((await probe(u)).status).toBe(200);
    const before = await snapshot();

    expect(await c.pg.terminateSessions()).toBeGreaterThan(0);
    const afterTerminate = await probeFor(1_500);
    for (const a of afterTerminate) {
      expect(a.ms).toBeLessThan(3_000);
      if (a.status !== 200) expectClean503(a);
    }
    expect(await untilEvery(200, 10_000)).toBeLessThan(10_000);
    everyoneAlive();

    await c.pg.stop();
    const down = await probeFor(3_000);
    for (const a of down) {
      expect(a.ms).toBeLessThan(3_000);
      expectClean503(a);
    }
    for (const u of urls()) expect((await call(u, "GET", "/readyz")).status).toBe(503);
    everyoneAlive();

    await c.pg.start();
    expect(await untilEvery(200, 10_000)).toBeLessThan(10_000);
    for (const u of urls()) expect((await call(u, "GET", "/readyz")).status).toBe(200);
    everyoneAlive();
    await expectKept(before);
    // The workers came through too: a new run is claimed and executed (claims back off during an outage).
    c.model.on("CLUSTER-PG-AFTER", [{ text: "after the outage" }]);
    expect((await runToTheEnd("CLUSTER-PG-AFTER", 60_000)).status).toBe("success");
  });

  it("Redis stopped: limits fail closed (503, Retry-After 60) within 5 s, recover within 15 s of its return; nothing lost", async () => {
    c.model.on("CLUSTER-REDIS", [
      { toolCalls: [{ name: "write_file", args: { path: "r.txt", content: "r\n" } }], delayMs: 2_000 },
      { toolCalls: [{ name: "run_command", args: { command: "cat r.txt" } }], delayMs: 2_000 },
      { text: "done despite Redis", delayMs: 1_000 },
    ]);
    const started = await startRun<{ data: { run: RunView } }>(c.front.url, c.owner.token, {
      repoId: c.repoId,
      prompt: "CLUSTER-REDIS",
    });
    expect(started.status).toBe(202);
    const runId = started.body.data.run.id;
    const until = Date.now() + 30_000;
    while ((await c.db("select 1 from runs where id = $1 and status = 'running'", [runId])).length === 0) {
      expect(Date.now()).toBeLessThan(until);
      await sleep(100);
    }
    const before = await snapshot();

    await c.redis.stop();
    const closed = await untilEvery(503, 5_000, (a) => a.headers.get("retry-after") === "60");
    expect(closed).toBeLessThan(5_000);
    for (const a of await probeFor(1_000)) {
      expect(a.ms).toBeLessThan(5_000);
      expectClean503(a, "60");
    }
    const refused = await startRun<Err>(c.front.url, c.owner.token, {
      repoId: c.repoId,
      prompt: "no budget",
    });
    expectClean503(refused, "60");
    for (const u of urls()) expect((await call(u, "GET", "/readyz")).status).toBe(503);
    everyoneAlive();

    await c.redis.start();
    expect(await untilEvery(200, 15_000)).toBeLessThan(15_000);
    for (const u of urls()) expect((await call(u, "GET", "/readyz")).status).toBe(200);
    everyoneAlive();

    const done = await untilEnded(runId, 60_000);
    expect({ status: done.status, error: done.error }).toEqual({ status: "success", error: null });
    const events = await c.db<{ seq: number; type: string }>(
      "select seq, type from run_events where run_id = $1 order by seq",
      [runId],
    );
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)?.type).toBe("finished");
    expect(events.filter((e) => e.type === "tool_finished")).toHaveLength(2);
    await expectKept(before);
  });
});
