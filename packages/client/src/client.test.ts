// MogplexClient against the real wired server in process: contract-shaped results, typed errors, live events.
import { PUBLIC_ROUTES, type RunEvent } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LimiterUnavailableError, type RateLimitStore } from "../../../apps/server/src/limits/index.js";
import {
  BASE,
  createHarness,
  type Harness,
  type TestUser,
  uniq,
} from "../../../apps/server/src/test-support/harness.js";
import { MogplexClient } from "./client.js";
import { MogplexApiError, MogplexTransportError } from "./errors.js";

const SCOPE_MESSAGE =
  "Missing required scope: write. Issue a new token with the 'write' scope at /settings/api-keys.";

/** Routes the client's fetch into the app, recording each response's X-Request-Id. */
function clientFor(h: Harness, token: string, seen: string[] = []): MogplexClient {
  const inProcess = async (input: string | URL | Request, init?: RequestInit) => {
    const res = await h.app.request(String(input), init);
    seen.push(res.headers.get("x-request-id") ?? "");
    return res;
  };
  return new MogplexClient({ baseUrl: `${BASE}/`, token, fetch: inProcess as typeof fetch });
}

async function apiError(p: Promise<unknown>): Promise<MogplexApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MogplexApiError);
  return err as MogplexApiError;
}

let h: Harness;
let u: TestUser;
let client: MogplexClient;
let readOnly: MogplexClient;
let repoId: string;

beforeAll(async () => {
  // Far above what this file sends on one token, so the default 60/min never makes a test order-dependent.
  h = await createHarness({ env: { MOGPLEX_PAT_RATE_LIMIT: "10000/60s" } });
  u = await h.user();
  client = clientFor(h, (await h.pat(u)).token);
  readOnly = clientFor(h, (await h.pat(u, { scopes: ["read"] })).token);
  repoId = await h.repo(u.teamId, "acme/client");
});
afterAll(async () => {
  await h?.close();
});

describe("MogplexClient methods return contract-shaped data", () => {
  it("repos: list with a filter, get one", async () => {
    const other = await h.repo(u.teamId, "acme/other");
    const all = await client.listRepos();
    expect(PUBLIC_ROUTES.listRepos.response.parse(all)).toEqual(all);
    expect(all.repos.map((r) => r.id).sort()).toEqual([repoId, other].sort());
    const filtered = await client.listRepos({ q: "client" });
    expect(filtered.repos.map((r) => r.fullName)).toEqual(["acme/client"]);
    const page = await client.listRepos({ limit: 1 });
    expect(page.repos).toHaveLength(1);
    expect(page.nextCursor).toEqual(expect.any(String));
    const rest = await client.listRepos({ limit: 1, cursor: page.nextCursor as string });
    expect(rest.repos[0]?.id).not.toBe(page.repos[0]?.id);
    const one = await client.getRepo(repoId);
    expect(one.repo).toMatchObject({ id: repoId, fullName: "acme/client", teamId: u.teamId });
  });

  it("models and repo settings: the catalogue, and settings changed and parsed with the contract", async () => {
    const cat = await readOnly.listModels();
    expect(cat.endpoint).toEqual({ configured: false, ok: false, error: null });
    expect(cat.models.find((m) => m.id === "anthropic/claude-sonnet-4-5")).toMatchObject({
      hasCredentials: false,
      allowed: true,
    });
    const { repo } = await client.updateRepoSettings(repoId, { installCommand: "npm ci", port: 5173 });
    expect(repo).toMatchObject({ id: repoId, installCommand: "npm ci", port: 5173, devCommand: null });
    const refused = await apiError(client.updateRepoSettings(repoId, { port: 80 }));
    expect(refused).toMatchObject({ status: 400, code: "BAD_REQUEST" });
    expect((await apiError(readOnly.updateRepoSettings(repoId, { port: 3000 }))).status).toBe(403);
  });

  it("MCP servers: the resolved config with decrypted env, for one repo or team-wide", async () => {
    const sys = { actorType: "system", actorId: null } as const;
    const global = await h.s.connections.create(
      u.teamId,
      u.userId,
      { kind: "mcp_server", name: "tools", command: "cat", env: { TOOLS_TOKEN: "t-secret" } },
      sys,
    );
    const own = await h.s.connections.create(
      u.teamId,
      u.userId,
      { kind: "mcp_server", name: "docs", url: "https://docs.example/mcp", repoId },
      sys,
    );
    const team = await readOnly.listMcpServers();
    expect(PUBLIC_ROUTES.listMcpServers.response.parse(team)).toEqual(team);
    expect(team.servers.map((x) => x.id)).toEqual([global.id]);
    expect(team.servers[0]?.env).toEqual({ TOOLS_TOKEN: "t-secret" });
    const forRepo = await readOnly.listMcpServers({ repoId });
    expect(forRepo.servers.map((x) => x.id).sort()).toEqual([global.id, own.id].sort());
  });

  it("runs: create (and replay), list, get, cancel, events", async () => {
    const body = { repoId, prompt: "Write the client tests" };
    const key = uniq("idem-");
    const created = await client.createRun(body, key);
    expect(PUBLIC_ROUTES.createRun.response.parse(created)).toEqual(created);
    expect(created.replayed).toBe(false);
    expect(created.run).toMatchObject({ repoId, status: "pending", source: "api", harness: "mogplex" });
    const replay = await client.createRun(body, key);
    expect(replay).toMatchObject({ replayed: true, run: { id: created.run.id } });

    const listed = await client.listRuns({ repoId, status: "pending" });
    expect(listed.runs.map((r) => r.id)).toContain(created.run.id);
    expect((await client.listRuns({ status: "success" })).runs).toEqual([]);
    expect((await client.getRun(created.run.id)).run.id).toBe(created.run.id);

    const cancelled = await client.cancelRun(created.run.id);
    expect(cancelled).toMatchObject({ alreadyTerminal: false, run: { status: "cancelled" } });
    expect((await client.cancelRun(created.run.id)).alreadyTerminal).toBe(true);

    const events = await client.listRunEvents(created.run.id);
    expect(PUBLIC_ROUTES.listRunEvents.response.parse(events)).toEqual(events);
    expect(events.events.map((e) => e.type)).toEqual(["cancel_requested", "status_changed", "cancelled"]);
    const after = await client.listRunEvents(created.run.id, { after: 2 });
    expect(after.events.map((e) => e.seq)).toEqual([3]);
  });

  it("sandboxes: list, get, stop (idempotent)", async () => {
    const sb = await h.s.sandboxes.create({
      teamId: u.teamId,
      repoId,
      runId: null,
      baseBranch: "main",
      workingBranch: null,
      rootDirectory: "",
    });
    const listed = await client.listSandboxes({ repoId });
    expect(PUBLIC_ROUTES.listSandboxes.response.parse(listed)).toEqual(listed);
    expect(listed.sandboxes.map((s) => s.id)).toEqual([sb.id]);
    expect((await client.getSandbox(sb.id)).sandbox).toMatchObject({ id: sb.id, status: "creating" });
    const stopped = await client.stopSandbox(sb.id);
    expect(stopped).toMatchObject({ alreadyStopped: false, sandbox: { id: sb.id, status: "stopped" } });
    expect((await client.stopSandbox(sb.id)).alreadyStopped).toBe(true);
    expect((await client.listSandboxes({ status: "stopped" })).sandboxes.map((s) => s.id)).toContain(sb.id);
  });
});

describe("MogplexClient errors", () => {
  it("maps the error envelope to MogplexApiError with status, code and the response's request id", async () => {
    const seen: string[] = [];
    const bad = clientFor(h, "mog_notarealtokennotarealtokennotare", seen);
    const unauth = await apiError(bad.listRepos());
    expect(unauth).toMatchObject({ status: 401, code: "UNAUTHORIZED", retryAfterSeconds: undefined });
    expect(unauth.requestId).toBe(seen.at(-1));
    expect(unauth.requestId).toMatch(/\S/);

    const missing = await apiError(client.getRepo("00000000-0000-0000-0000-000000000000"));
    expect(missing).toMatchObject({ status: 404, code: "NOT_FOUND" });

    const forbidden = await apiError(readOnly.createRun({ repoId, prompt: "x" }, uniq("k")));
    expect(forbidden).toMatchObject({ status: 403, code: "FORBIDDEN", message: SCOPE_MESSAGE });

    const key = uniq("k");
    await client.createRun({ repoId, prompt: "first body" }, key);
    const conflict = await apiError(client.createRun({ repoId, prompt: "second body" }, key));
    expect(conflict).toMatchObject({ status: 409, code: "IDEMPOTENCY_CONFLICT" });

    const invalid = await apiError(client.listRuns({ cursor: "not-a-cursor" }));
    expect(invalid).toMatchObject({ status: 400, code: "BAD_REQUEST" });
  });

  it("a rate-limited call carries Retry-After as retryAfterSeconds", async () => {
    const limited = await createHarness({ env: { MOGPLEX_PAT_RATE_LIMIT: "2/60s" } });
    try {
      const lu = await limited.user();
      const c = clientFor(limited, (await limited.pat(lu)).token);
      await c.listRepos();
      await c.listRuns();
      const err = await apiError(c.listSandboxes());
      expect(err).toMatchObject({ status: 429, code: "RATE_LIMITED" });
      expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(err.retryAfterSeconds).toBeLessThanOrEqual(60);
      expect(err.message).toBe(`Rate limit exceeded. Retry after ${err.retryAfterSeconds}s.`);
      expect(err.requestId).toMatch(/\S/);
    } finally {
      await limited.close();
    }
  });

  it("a limiter outage is a 503 with retryAfterSeconds 60", async () => {
    const down: RateLimitStore = {
      hit: () => Promise.reject(new LimiterUnavailableError("down")),
      peek: () => Promise.reject(new LimiterUnavailableError("down")),
      close: () => Promise.resolve(),
    };
    const broken = await createHarness({ limiter: down });
    try {
      const bu = await broken.user();
      const err = await apiError(clientFor(broken, (await broken.pat(bu)).token).listRepos());
      expect(err).toMatchObject({ status: 503, code: "SERVICE_UNAVAILABLE", retryAfterSeconds: 60 });
    } finally {
      await broken.close();
    }
  });

  it("an error that isn't the envelope (a proxy page) still becomes a MogplexApiError with its status", async () => {
    const proxy = new MogplexClient({
      baseUrl: BASE,
      token: "mog_x",
      fetch: (async () =>
        new Response("<html>502 Bad Gateway</html>", {
          status: 502,
          headers: { "content-type": "text/html", "retry-after": "7", "x-request-id": "edge-1" },
        })) as typeof fetch,
    });
    const err = await apiError(proxy.listRepos());
    expect(err).toMatchObject({ status: 502, code: "HTTP_502", requestId: "edge-1", retryAfterSeconds: 7 });
  });

  it("network failures and off-contract success bodies are MogplexTransportError", async () => {
    const offline = new MogplexClient({
      baseUrl: BASE,
      token: "mog_x",
      fetch: (async () => {
        throw new TypeError("fetch failed");
      }) as typeof fetch,
    });
    await expect(offline.listRepos()).rejects.toBeInstanceOf(MogplexTransportError);
    const odd = new MogplexClient({
      baseUrl: BASE,
      token: "mog_x",
      fetch: (async () => Response.json({ ok: true, data: { repos: "nope" } })) as typeof fetch,
    });
    await expect(odd.listRepos()).rejects.toThrow(/does not match the contract/);
  });
});

describe("MogplexClient.streamRunEvents", () => {
  async function newRun(): Promise<string> {
    return (await client.createRun({ repoId, prompt: "stream me" }, uniq("s"))).run.id;
  }

  it("yields stored then live events in order and ends after the terminal event", async () => {
    const runId = await newRun();
    await h.s.events.append(runId, [
      { type: "started", message: "started" },
      { type: "log", message: "one" },
    ]);
    const received: RunEvent[] = [];
    const iterator = client.streamRunEvents(runId)[Symbol.asyncIterator]();
    received.push((await iterator.next()).value as RunEvent, (await iterator.next()).value as RunEvent);
    // Live: appended after the follower has caught up with the backlog.
    await h.s.events.append(runId, [{ type: "log", message: "two", payload: { apiKey: "sk-live-secret" } }]);
    received.push((await iterator.next()).value as RunEvent);
    await client.cancelRun(runId);
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      received.push(next.value);
    }
    expect(received.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(received.map((e) => e.type)).toEqual([
      "started",
      "log",
      "log",
      "cancel_requested",
      "status_changed",
      "cancelled",
    ]);
    expect(received[2]?.message).toBe("two");
    expect(JSON.stringify(received[2]?.payload)).not.toContain("sk-live-secret");
  });

  it("resumes after lastEventId and ends at once for a finished run", async () => {
    const runId = await newRun();
    await h.s.events.append(runId, [{ type: "log", message: "a" }]);
    await client.cancelRun(runId);
    const seqs: number[] = [];
    for await (const e of client.streamRunEvents(runId, { lastEventId: 2 })) seqs.push(e.seq);
    expect(seqs).toEqual([3, 4]);
  });

  it("an unknown run is a MogplexApiError 404 before any event", async () => {
    const stream = client.streamRunEvents("00000000-0000-0000-0000-000000000000");
    const err = await apiError(stream.next());
    expect(err).toMatchObject({ status: 404, code: "NOT_FOUND" });
  });

  it("a malformed stream event is a MogplexTransportError", async () => {
    const bad = new MogplexClient({
      baseUrl: BASE,
      token: "mog_x",
      fetch: (async () =>
        new Response("id: 1\nevent: log\ndata: {not json\n\n", {
          headers: { "content-type": "text/event-stream" },
        })) as typeof fetch,
    });
    await expect(bad.streamRunEvents("r").next()).rejects.toBeInstanceOf(MogplexTransportError);
  });
});
