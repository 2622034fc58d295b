// Scale-out under load, from outside: three `mogplex serve` replicas and two `mogplex worker`s on one private
// PostgreSQL + Redis (test-support/cluster). Limits, budgets, revocations, idempotent starts and live events
// hold whichever replica answers. Runs in the PostgreSQL phase of `npm test` (MOGPLEX_TEST_DB=postgres).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, startCluster, waitForLine } from "../test-support/cluster/cluster.js";
import { api, call, follow, signIn, startRun } from "../test-support/cluster/http.js";

type Err = { ok: false; error: { code: string; message: string } };
type RunView = { id: string; status: string };

describe("three replicas and two workers on PostgreSQL + Redis", { timeout: 60_000 }, () => {
  let c: Cluster;
  let cookie: string;
  const r = (i: number) => (c.replicas[i % c.replicas.length] as { url: string }).url;
  const session = (i: number, method: string, path: string, body?: unknown) =>
    call<Record<string, unknown>>(r(i), method, path, { cookie, origin: c.front.url, body });
  const newPat = async (name: string) => {
    const res = await session(0, "POST", "/api/settings/api-keys", { name, scopes: ["read", "write"] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; token: string };
  };
  const runsFor = async (email: string) =>
    c.db<{ id: string; status: string }>(
      `select r.id, r.status from runs r join "user" u on u.id = r.user_id where u.email = $1`,
      [email],
    );

  beforeAll(async () => {
    c = await startCluster();
    cookie = await signIn(r(0), c.front.url, c.owner.email, c.owner.password);
  }, 180_000);
  afterAll(async () => {
    await c?.close();
  }, 60_000);

  it("replicas started together on an empty database migrate it once and all serve", async () => {
    await c.pg.query("create database fresh");
    const url = c.pg.url("fresh");
    const procs = [0, 1, 2].map((i) =>
      c.spawn(`fresh-${i}`, ["serve", "--host", "127.0.0.1", "--port", "0"], { DATABASE_URL: url }),
    );
    await Promise.all(procs.map((p) => waitForLine(p, /^mogplex listening on /m)));
    const applied = await c.pg.query<{ name: string }>("select name from mogplex_migrations", [], "fresh");
    expect(applied.length).toBeGreaterThan(0);
    const main = await c.db<{ name: string }>("select name from mogplex_migrations order by name");
    expect(applied.map((m) => m.name).sort()).toEqual(main.map((m) => m.name));
    for (const p of procs) {
      expect(p.alive(), p.stderr()).toBe(true);
      await p.kill("SIGTERM");
    }
  });

  it("the per-PAT limit holds exactly across replicas: 60 of 66 concurrent requests pass, then all refuse", async () => {
    const { token } = await newPat("limit");
    const all = await Promise.all(Array.from({ length: 66 }, (_, i) => api(r(i), token, "GET", "/repos")));
    const statuses = all.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(60);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
    for (const i of [0, 1, 2]) {
      const next = await api<Err>(r(i), token, "GET", "/repos");
      expect(next.status).toBe(429);
      expect(next.body.error.code).toBe("RATE_LIMITED");
      expect(Number(next.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  });

  it("the run-start budget (10 a minute per user) holds across replicas and tokens: 15 concurrent → 10 runs", async () => {
    const u = await c.user("budget@example.test");
    const second = await c.admin(["create-token", "--email", u.email, "--name", "second"]);
    const tokens = [u.token, second.stdout.trim()];
    const all = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        startRun<{ data: { run: RunView } }>(r(i), tokens[i % 2] as string, {
          repoId: c.repoId,
          prompt: `budget ${i}`,
        }),
      ),
    );
    const statuses = all.map((a) => a.status);
    expect(
      statuses.filter((s) => s === 202),
      JSON.stringify(all[0]?.body),
    ).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    for (const i of [0, 1, 2])
      expect((await startRun(r(i), u.token, { repoId: c.repoId, prompt: "one more" })).status).toBe(429);
    expect(await runsFor(u.email)).toHaveLength(10);
    // Out of the workers' way: cancel them (pending or already claimed) and wait until all have ended.
    const ids = all.filter((a) => a.status === 202).map((a) => a.body.data.run.id);
    await Promise.all(ids.map((id, i) => api(r(i), u.token, "POST", `/runs/${id}/cancel`)));
    const until = Date.now() + 30_000;
    while ((await runsFor(u.email)).some((x) => ["pending", "running"].includes(x.status))) {
      expect(Date.now()).toBeLessThan(until);
      await new Promise((res) => setTimeout(res, 200));
    }
  });

  it("a PAT revoked through replica A is refused by B and C on the very next request", async () => {
    const pat = await newPat("revoke-me");
    for (const i of [0, 1, 2]) expect((await api(r(i), pat.token, "GET", "/repos")).status).toBe(200);
    expect((await session(0, "DELETE", `/api/settings/api-keys/${pat.id}`)).status).toBe(200);
    for (const i of [1, 2, 0]) {
      const next = await api<Err>(r(i), pat.token, "GET", "/repos");
      expect(next.status).toBe(401);
      expect(next.body.error.code).toBe("UNAUTHORIZED");
    }
  });

  it("a gateway key revoked on A is refused by B and C within 1 s", async () => {
    const created = await session(0, "POST", "/api/settings/gateway-keys", {
      name: "revoke",
      rateLimitRps: 1000,
    });
    expect(created.status).toBe(201);
    const { id, key } = created.body as { id: string; key: string };
    const init = (i: number) =>
      call(r(i), "POST", "/mcp", {
        headers: { authorization: `Bearer ${key}`, accept: "application/json, text/event-stream" },
        body: {
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-06-18",
            capabilities: {},
            clientInfo: { name: "t", version: "1" },
          },
        },
      });
    // B and C now hold the verified key in their caches.
    for (const i of [1, 2]) expect((await init(i)).status).toBe(200);
    expect((await session(0, "DELETE", `/api/settings/gateway-keys/${id}`)).status).toBe(200);
    const revokedAt = Date.now();
    const refusedAfter = await Promise.all(
      [1, 2].map(async (i) => {
        for (;;) {
          const res = await init(i);
          if (res.status === 401) return Date.now() - revokedAt;
          expect(res.status).toBe(200);
          expect(Date.now() - revokedAt).toBeLessThan(1_000);
          await new Promise((s) => setTimeout(s, 20));
        }
      }),
    );
    for (const ms of refusedAfter) expect(ms).toBeLessThan(1_000);
  });

  it("an MCP session sticks to the replica that issued it through the front; any other replica answers 404", async () => {
    const created = await session(0, "POST", "/api/settings/gateway-keys", {
      name: "sticky",
      rateLimitRps: 1000,
    });
    expect(created.status).toBe(201);
    const { key } = created.body as { key: string };
    const rpc = (base: string, body: Record<string, unknown>, sessionId?: string) =>
      call(base, "POST", "/mcp", {
        headers: {
          authorization: `Bearer ${key}`,
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-06-18",
          ...(sessionId ? { "mcp-session-id": sessionId } : {}),
        },
        body: { jsonrpc: "2.0", ...body },
      });
    const init = await rpc(c.front.url, {
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
    });
    expect(init.status).toBe(200);
    const sessionId = init.headers.get("mcp-session-id") as string;
    const issuer = init.headers.get("x-front-upstream");
    expect(sessionId).toBeTruthy();
    expect((await rpc(c.front.url, { method: "notifications/initialized" }, sessionId)).status).toBe(202);
    // Round-robin would spread these over all three replicas; the session's header keeps them on its issuer.
    for (let i = 0; i < 6; i++) {
      const listed = await rpc(c.front.url, { id: 10 + i, method: "tools/list" }, sessionId);
      expect(listed.status).toBe(200);
      expect(listed.headers.get("x-front-upstream")).toBe(issuer);
    }
    for (const other of c.replicas.filter((x) => x.url !== issuer))
      expect((await rpc(other.url, { id: 20, method: "tools/list" }, sessionId)).status).toBe(404);
  });

  it("an idempotent run start raced 50 ways over the replicas creates one run", async () => {
    const { token } = await newPat("race");
    c.model.on("CLUSTER-RACE", [{ text: "nothing to do" }]);
    const body = { repoId: c.repoId, prompt: "CLUSTER-RACE" };
    const all = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        startRun<{ data: { run: RunView; replayed: boolean } }>(r(i), token, body, "cluster-race"),
      ),
    );
    expect(all.map((a) => a.status)).toEqual(Array(50).fill(202));
    expect(new Set(all.map((a) => a.body.data.run.id)).size).toBe(1);
    expect(all.filter((a) => !a.body.data.replayed)).toHaveLength(1);
    const rows = await c.db("select id from runs where prompt = $1", ["CLUSTER-RACE"]);
    expect(rows).toHaveLength(1);
  });

  it("a worker's live events reach followers on every replica in order, and Last-Event-ID resumes across replicas", async () => {
    const { token } = await newPat("follow");
    c.model.on("CLUSTER-LIVE", [
      { toolCalls: [{ name: "write_file", args: { path: "a.txt", content: "a\n" } }], delayMs: 300 },
      { toolCalls: [{ name: "run_command", args: { command: "cat a.txt" } }], delayMs: 300 },
      { toolCalls: [{ name: "write_file", args: { path: "b.txt", content: "b\n" } }], delayMs: 300 },
      { text: "wrote a and b", delayMs: 300 },
    ]);
    const startedAt = Date.now();
    const started = await startRun<{ data: { run: RunView } }>(c.front.url, token, {
      repoId: c.repoId,
      prompt: "CLUSTER-LIVE",
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const runId = started.body.data.run.id;
    const followers = [0, 1, 2].map((i) => follow(() => r(i), token, runId));
    // Reads three events on replica 0, goes away, and comes back on replica 1 with Last-Event-ID.
    const resumer = follow((n) => r(n), token, runId, { cutAfter: 3 });
    await Promise.all([...followers, resumer].map((f) => f.done));

    const stored = await c.db<{ id: string; seq: number; created_at: number }>(
      "select id, seq, created_at from run_events where run_id = $1 order by seq",
      [runId],
    );
    expect(stored.length).toBeGreaterThan(8);
    const storedAt = new Map(stored.map((e) => [e.id, Number(e.created_at)]));
    for (const f of [...followers, resumer]) {
      expect(f.received.map((x) => x.event.id)).toEqual(stored.map((e) => e.id));
      expect(f.received.map((x) => x.event.seq)).toEqual(stored.map((e) => e.seq));
      expect(f.received.at(-1)?.event.type).toBe("finished");
    }
    for (const f of followers) {
      expect(f.connections).toHaveLength(1);
      expect((f.received[0] as { at: number }).at - startedAt).toBeLessThan(5_000);
      for (const x of f.received) expect(x.at - (storedAt.get(x.event.id) as number)).toBeLessThan(2_000);
    }
    expect(resumer.connections.map((x) => x.base)).toEqual([r(0), r(1)]);
    expect(resumer.connections[1]?.lastEventId).toBe("3");
    expect(resumer.received.filter((x) => x.connection === 1).map((x) => x.event.seq)[0]).toBe(4);
  });
});
