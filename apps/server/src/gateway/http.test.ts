// The gateway in front of the real server-everything over Streamable HTTP: keys, limits, recovery, logs, guards.
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  BASE,
  createHarness,
  FakeClock,
  type Harness,
  ORIGIN,
  type TestUser,
} from "../test-support/harness.js";
import {
  type HttpUpstream,
  listen,
  mcpClient,
  RAW_INITIALIZE,
  SENTINEL,
  SENTINEL_VALUE,
  startHttpEverything,
  stdioEverything,
  textOf,
} from "./test-support/everything.js";

const SYS = { actorType: "system", actorId: null } as const;
const INIT = RAW_INITIALIZE;

describe("gateway → server-everything over Streamable HTTP", () => {
  const clock = new FakeClock();
  let h: Harness;
  let srv: { base: string; close(): Promise<void> };
  let up: HttpUpstream;
  let owner: TestUser;
  let cookie: string;
  let remoteId: string;

  /** A key through the session route, as a person would get one. */
  const newKey = async (body: Record<string, unknown> = {}) => {
    const r = await h.json<{ id: string; key: string }>("POST", "/api/settings/gateway-keys", {
      cookie,
      body: { name: "test", rateLimitRps: 100_000, ...body },
    });
    expect(r.status).toBe(201);
    return r.body;
  };
  const post = (headers: Record<string, string>, body: unknown = INIT) =>
    fetch(`${srv.base}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...headers,
      },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    process.env[SENTINEL] = SENTINEL_VALUE;
    h = await createHarness({
      clock,
      env: { MOGPLEX_GATEWAY_BREAKER_THRESHOLD: "3", MOGPLEX_GATEWAY_BREAKER_COOLDOWN_MS: "30000" },
    });
    srv = await listen(h);
    up = await startHttpEverything();
    owner = await h.user();
    cookie = await h.signIn(owner);
    const r = await h.json<{ connection: { id: string } }>("POST", `/api/teams/${owner.teamId}/connections`, {
      cookie,
      body: {
        kind: "mcp_server",
        name: "remote",
        url: up.url,
        headers: { "X-Upstream-Token": "planted-upstream-token" },
      },
    });
    expect(r.status).toBe(201);
    remoteId = r.body.connection.id;
  });
  afterAll(async () => {
    delete process.env[SENTINEL];
    await srv?.close();
    await h?.close();
    await up?.stop();
  });

  it("lists namespaced tools and echoes; get-env shows only the upstream's own (secret-free) environment", async () => {
    const c = await mcpClient(srv.base, (await newKey()).key);
    const names = (await c.listTools()).tools.map((t) => t.name);
    expect(names).toContain("remote__echo");
    expect(textOf(await c.callTool({ name: "remote__echo", arguments: { message: "over http" } }))).toBe(
      "Echo: over http",
    );
    const env = JSON.parse(textOf(await c.callTool({ name: "remote__get-env", arguments: {} }))) as Record<
      string,
      string
    >;
    expect(Object.keys(env).sort()).toEqual(["PATH", "PORT"]);
    expect(JSON.stringify(env)).not.toContain(SENTINEL_VALUE);
    await c.close();
  });

  it("aggregates several upstreams, each under its own prefix", async () => {
    await h.s.connections.create(
      owner.teamId,
      owner.userId,
      { kind: "mcp_server", name: "local", ...stdioEverything() },
      SYS,
    );
    const c = await mcpClient(srv.base, (await newKey({ servers: ["remote", "local"] })).key);
    const names = (await c.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["remote__echo", "local__echo"]));
    expect(textOf(await c.callTool({ name: "local__echo", arguments: { message: "l" } }))).toBe("Echo: l");
    await c.close();
    // A key limited to one server sees only that one.
    const only = await mcpClient(srv.base, (await newKey({ servers: ["remote"] })).key);
    expect((await only.listTools()).tools.every((t) => t.name.startsWith("remote__"))).toBe(true);
    await only.close();
  });

  it("accepts the key as Authorization: Bearer or X-API-Key; a missing key or a forged signature is 401", async () => {
    const { key } = await newKey();
    const viaHeader = await mcpClient(srv.base, key, { header: "x-api-key" });
    expect(textOf(await viaHeader.callTool({ name: "remote__echo", arguments: { message: "k" } }))).toBe(
      "Echo: k",
    );
    await viaHeader.close();

    const missing = await post({});
    expect(missing.status).toBe(401);
    // RFC 9728: the challenge points OAuth-capable clients at the resource metadata.
    expect(missing.headers.get("www-authenticate")).toBe(
      `Bearer resource_metadata="${BASE}/.well-known/oauth-protected-resource/mcp", scope="mcp offline_access"`,
    );
    const last = key.at(-1) === "0" ? "1" : "0";
    const forged = await post({ authorization: `Bearer ${key.slice(0, -1)}${last}` });
    expect(forged.status).toBe(401);
    expect(forged.headers.get("www-authenticate")).toContain("invalid_token");
    const err = await mcpClient(srv.base, `${key.slice(0, -1)}${last}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamableHTTPError);
    expect((err as StreamableHTTPError).code).toBe(401);
  });

  it("a revoked key is refused on the next request, and its sessions end", async () => {
    const { id, key } = await newKey();
    const c = await mcpClient(srv.base, key);
    expect(textOf(await c.callTool({ name: "remote__echo", arguments: { message: "a" } }))).toBe("Echo: a");
    expect((await h.json("DELETE", `/api/settings/gateway-keys/${id}`, { cookie })).status).toBe(200);
    const err = await c
      .callTool({ name: "remote__echo", arguments: { message: "b" } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamableHTTPError);
    expect((err as StreamableHTTPError).code).toBe(401);
    expect((await post({ authorization: `Bearer ${key}` })).status).toBe(401);
    await c.close();
  });

  it("rotation: the old key stops at once, the new one works", async () => {
    const { id, key } = await newKey();
    expect((await post({ authorization: `Bearer ${key}` })).status).toBe(200);
    const r = await h.json<{ key: string }>("POST", `/api/settings/gateway-keys/${id}/rotate`, { cookie });
    expect(r.status).toBe(200);
    expect(r.body.key).not.toBe(key);
    expect(r.body.key.slice(0, 39)).toBe(key.slice(0, 39)); // same key id
    expect((await post({ authorization: `Bearer ${key}` })).status).toBe(401);
    expect((await post({ authorization: `Bearer ${r.body.key}` })).status).toBe(200);
  });

  it("an expired key is refused", async () => {
    const { key } = await newKey({ expiresInDays: 1 });
    expect((await post({ authorization: `Bearer ${key}` })).status).toBe(200);
    clock.advance(86_400_000);
    expect((await post({ authorization: `Bearer ${key}` })).status).toBe(401);
  });

  it("the per-key rate limit answers 429 with Retry-After", async () => {
    const { key } = await newKey({ rateLimitRps: 3 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await post({ authorization: `Bearer ${key}` });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get("retry-after");
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    clock.advance(1_000);
    expect((await post({ authorization: `Bearer ${key}` })).status).toBe(200);
  });

  it("the upstream killed mid-session gives a clean error, then recovers (session re-initialised)", async () => {
    const c = await mcpClient(srv.base, (await newKey({ servers: ["remote"] })).key);
    expect(textOf(await c.callTool({ name: "remote__echo", arguments: { message: "1" } }))).toBe("Echo: 1");
    await up.stop();
    const err = await c
      .callTool({ name: "remote__echo", arguments: { message: "2" } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).message).toMatch(
      /^MCP error -32603: Upstream unavailable \(request req_[\w-]+\)$/,
    );
    up = await startHttpEverything(up.port); // a new process: it knows nothing of our old session
    expect(textOf(await c.callTool({ name: "remote__echo", arguments: { message: "3" } }))).toBe("Echo: 3");
    await c.close();
  });

  it("forwards progress and cancellation to an HTTP upstream", async () => {
    const c = await mcpClient(srv.base, (await newKey({ servers: ["remote"] })).key);
    const progress: number[] = [];
    const done = await c.callTool(
      { name: "remote__trigger-long-running-operation", arguments: { duration: 0.3, steps: 3 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(textOf(done)).toContain("completed");
    expect(progress.slice(0, 2)).toEqual([1, 2]); // the last one may race the result in the SDK client
    const upstream = () => h.s.gateway.pool.upstream(remoteId);
    const ac = new AbortController();
    const call = c.callTool(
      { name: "remote__trigger-long-running-operation", arguments: { duration: 60, steps: 60 } },
      undefined,
      { signal: ac.signal },
    );
    await vi.waitFor(() => expect(upstream()?.inflight).toBe(1));
    ac.abort("stop");
    await expect(call).rejects.toBeDefined();
    await vi.waitFor(() => expect(upstream()?.inflight).toBe(0), { timeout: 10_000 });
    expect(textOf(await c.callTool({ name: "remote__echo", arguments: { message: "ok" } }))).toBe("Echo: ok");
    await c.close();
  });

  it("a key with an IP allowlist works only from the listed networks (403 elsewhere, logged)", async () => {
    const elsewhere = await newKey({ servers: ["remote"], ipAllowlist: ["10.0.0.0/8"] });
    const refused = await post({ Authorization: `Bearer ${elsewhere.key}` });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("cannot be used from your network address");
    const local = await newKey({ servers: ["remote"], ipAllowlist: ["127.0.0.0/8", "::1"] });
    const c = await mcpClient(srv.base, local.key);
    expect(textOf(await c.callTool({ name: "remote__echo", arguments: { message: "here" } }))).toBe(
      "Echo: here",
    );
    await c.close();
    await h.s.gateway.log.flush();
    const row = await h.s.db.db
      .selectFrom("gateway_requests")
      .select(["status", "error_class"])
      .where("key_id", "=", elsewhere.id)
      .executeTakeFirst();
    expect(row).toMatchObject({ status: "denied", error_class: "forbidden" });
  });

  it("a client that hangs up during a fast-path call (no cancel sent) stops the upstream call", async () => {
    const { key } = await newKey({ servers: ["remote"] });
    const c = await mcpClient(srv.base, key);
    const sid = (c.transport as { sessionId?: string } | undefined)?.sessionId;
    expect(sid).toBeTypeOf("string");
    const upstream = () => h.s.gateway.pool.upstream(remoteId);
    const ac = new AbortController();
    const call = fetch(`${srv.base}/mcp`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${key}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": sid as string,
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 42,
        method: "tools/call",
        params: { name: "remote__trigger-long-running-operation", arguments: { duration: 60, steps: 60 } },
      }),
      signal: ac.signal,
    }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(upstream()?.inflight).toBe(1));
    ac.abort();
    expect(await call).toBeInstanceOf(Error);
    await vi.waitFor(() => expect(upstream()?.inflight).toBe(0), { timeout: 10_000 });
    await c.close();
  });

  it("the circuit breaker fails fast after repeated failures, and closes again after the cool-down", async () => {
    const c = await mcpClient(srv.base, (await newKey({ servers: ["remote"] })).key);
    await c.listTools();
    await up.stop();
    for (let i = 0; i < 3; i++)
      await c.callTool({ name: "remote__echo", arguments: { message: "x" } }).catch(() => undefined);
    const open = await c
      .callTool({ name: "remote__echo", arguments: { message: "x" } })
      .catch((e: unknown) => e);
    expect((open as McpError).message).toContain("Upstream temporarily unavailable");
    up = await startHttpEverything(up.port);
    expect(
      (
        (await c
          .callTool({ name: "remote__echo", arguments: { message: "x" } })
          .catch((e: unknown) => e)) as McpError
      ).message,
    ).toContain("temporarily unavailable");
    clock.advance(30_000);
    expect(textOf(await c.callTool({ name: "remote__echo", arguments: { message: "back" } }))).toBe(
      "Echo: back",
    );
    await c.close();
  });

  it("writes one metadata row per request, never content", async () => {
    const { id, key } = await newKey({ servers: ["remote"] });
    const c = await mcpClient(srv.base, key);
    await c.callTool({ name: "remote__echo", arguments: { message: "payload-that-must-not-be-logged" } });
    await c.callTool({ name: "remote__nope", arguments: {} }).catch(() => undefined);
    await c.close();
    await post({});
    await h.s.gateway.log.flush();
    const rows = await h.s.db.db
      .selectFrom("gateway_requests")
      .selectAll()
      .where("key_id", "=", id)
      .execute();
    const call = rows.find((r) => r.method === "tools/call" && r.tool === "echo");
    expect(call).toMatchObject({ server: "remote", status: "ok", error_class: null, team_id: owner.teamId });
    expect(call?.request_id).toMatch(/^req_/);
    expect(Number(call?.latency_ms)).toBeGreaterThanOrEqual(0);
    expect(rows.find((r) => r.method === "tools/call" && r.status === "denied")?.error_class).toBe(
      "not_found",
    );
    const all = await h.s.db.db.selectFrom("gateway_requests").selectAll().execute();
    expect(JSON.stringify(all)).not.toContain("payload-that-must-not-be-logged");
    expect(all.some((r) => r.status === "unauthorized" && r.key_id === null)).toBe(true);
  });

  it("refuses a foreign Origin or Host (DNS rebinding)", async () => {
    const { key } = await newKey();
    expect((await post({ authorization: `Bearer ${key}`, origin: "https://evil.example" })).status).toBe(403);
    expect((await post({ authorization: `Bearer ${key}`, origin: ORIGIN })).status).toBe(200);
    const rebound = await h.app.request("http://evil.example/mcp", {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify(INIT),
    });
    expect(rebound.status).toBe(403);
  });

  it("serves old clients over HTTP+SSE (/mcp/sse)", async () => {
    const c = await mcpClient(srv.base, (await newKey()).key, { sse: true });
    expect((await c.listTools()).tools.map((t) => t.name)).toContain("remote__echo");
    expect(textOf(await c.callTool({ name: "remote__echo", arguments: { message: "sse" } }))).toBe(
      "Echo: sse",
    );
    await c.close();
  });

  it("an admin's change to a server reaches open sessions as list_changed", async () => {
    const seen: string[] = [];
    const c = await mcpClient(srv.base, (await newKey({ servers: ["remote"] })).key, {
      onNotification: (m) => seen.push(m),
    });
    expect((await c.listTools()).tools.length).toBeGreaterThan(0);
    const r = await h.json("PATCH", `/api/teams/${owner.teamId}/connections/${remoteId}`, {
      cookie,
      body: { enabled: false },
    });
    expect(r.status).toBe(200);
    await vi.waitFor(() => expect(seen).toContain("notifications/tools/list_changed"), { timeout: 10_000 });
    expect((await c.listTools()).tools).toEqual([]);
    await h.json("PATCH", `/api/teams/${owner.teamId}/connections/${remoteId}`, {
      cookie,
      body: { enabled: true },
    });
    expect((await c.listTools()).tools.length).toBeGreaterThan(0);
    await c.close();
  });
});
