// The gateway in front of the real server-everything over stdio, driven by the SDK's own Client through /mcp.
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createHarness, FakeClock, type Harness, type TestUser } from "../test-support/harness.js";
import {
  childPids,
  listen,
  mcpClient,
  SENTINEL,
  SENTINEL_VALUE,
  stdioEverything,
  textOf,
} from "./test-support/everything.js";

const SYS = { actorType: "system", actorId: null } as const;
const CONFIGURED = { MOGPLEX_TEST_CONFIGURED: "configured-value" };

describe("gateway → server-everything over stdio", () => {
  const clock = new FakeClock();
  let h: Harness;
  let srv: { base: string; close(): Promise<void> };
  let u: TestUser;
  let serverId: string;
  let fullKey: string;

  const upstream = () => h.s.gateway.pool.upstream(serverId);

  beforeAll(async () => {
    // Planted in this process's environment: a leak would show it in the upstream's get-env.
    process.env[SENTINEL] = SENTINEL_VALUE;
    h = await createHarness({ clock, env: { MOGPLEX_GATEWAY_STDIO_IDLE_MS: "60000" } });
    srv = await listen(h);
    u = await h.user();
    const conn = await h.s.connections.create(
      u.teamId,
      u.userId,
      { kind: "mcp_server", name: "everything", ...stdioEverything(CONFIGURED) },
      SYS,
    );
    serverId = conn.id;
    fullKey = (await h.s.gateway.keys.create(u.userId, u.teamId, { name: "all", rateLimitRps: 100_000 }, SYS))
      .key;
  });
  afterAll(async () => {
    delete process.env[SENTINEL];
    await srv?.close();
    await h?.close();
  });

  it("lists namespaced tools, prompts and resources; echo works", async () => {
    const c = await mcpClient(srv.base, fullKey);
    const { tools } = await c.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain("everything__echo");
    expect(names).toContain("everything__get-env");
    for (const n of names) expect(n).toMatch(/^everything__[A-Za-z0-9_-]+$/);
    expect(names.every((n) => n.length <= 64)).toBe(true);
    // Upstream schemas pass through untouched.
    const echo = tools.find((t) => t.name === "everything__echo");
    expect(echo?.inputSchema.properties).toHaveProperty("message");
    expect(echo?._meta).toMatchObject({ "mogplex/server": "everything", "mogplex/name": "echo" });

    expect(textOf(await c.callTool({ name: "everything__echo", arguments: { message: "hello" } }))).toBe(
      "Echo: hello",
    );
    const prompts = await c.listPrompts();
    expect(prompts.prompts.map((p) => p.name)).toContain("everything__simple-prompt");
    const prompt = await c.getPrompt({ name: "everything__simple-prompt" });
    expect(prompt.messages.length).toBeGreaterThan(0);
    const { resources } = await c.listResources();
    expect(resources.length).toBeGreaterThan(0);
    const first = resources[0];
    if (!first) throw new Error("no resources");
    expect(first.name.startsWith("everything__")).toBe(true);
    const read = await c.readResource({ uri: first.uri });
    expect(read.contents[0]?.uri).toBe(first.uri);
    await c.close();
  });

  it("a tool outside the key's allowlist is not listed and is refused like an unknown one", async () => {
    const key = (
      await h.s.gateway.keys.create(
        u.userId,
        u.teamId,
        { name: "echo only", tools: ["everything__echo"], rateLimitRps: 100_000 },
        SYS,
      )
    ).key;
    const c = await mcpClient(srv.base, key);
    expect((await c.listTools()).tools.map((t) => t.name)).toEqual(["everything__echo"]);
    expect(textOf(await c.callTool({ name: "everything__echo", arguments: { message: "x" } }))).toBe(
      "Echo: x",
    );
    const refused = await c.callTool({ name: "everything__get-env", arguments: {} }).catch((e: unknown) => e);
    const unknown = await c
      .callTool({ name: "everything__no-such-tool", arguments: {} })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).message).toContain("Unknown tool: everything__get-env");
    expect((unknown as McpError).code).toBe((refused as McpError).code);
    await c.close();
  });

  it("get-env through the gateway shows only the configured env: none of the server's environment", async () => {
    expect(process.env[SENTINEL]).toBe(SENTINEL_VALUE);
    // The server runs inside a bubblewrap sandbox (its own home, no network), not as a bare host process.
    expect(h.s.gateway.launcher.confinement).toBe("bwrap");
    const c = await mcpClient(srv.base, fullKey);
    const env = JSON.parse(
      textOf(await c.callTool({ name: "everything__get-env", arguments: {} })),
    ) as Record<string, string>;
    expect(JSON.stringify(env)).not.toContain(SENTINEL_VALUE);
    expect(env[SENTINEL]).toBeUndefined();
    expect(env.MOGPLEX_TEST_CONFIGURED).toBe("configured-value");
    expect(Object.keys(env).sort()).toEqual(["HOME", "MOGPLEX_TEST_CONFIGURED", "PATH"]);
    // Nothing of the server's own configuration either.
    for (const name of Object.keys(process.env).filter((k) => k.startsWith("MOGPLEX_")))
      expect(env[name]).toBeUndefined();
    await c.close();
  });

  it("forwards progress to the client and cancellation to the upstream", async () => {
    const c = await mcpClient(srv.base, fullKey);
    const progress: number[] = [];
    const done = await c.callTool(
      { name: "everything__trigger-long-running-operation", arguments: { duration: 0.4, steps: 4 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(textOf(done)).toContain("completed");
    // The last one races the result inside the SDK client itself (its progress handler runs a tick later
    // and the result removes it), so only the ones before it are certain.
    expect(progress.slice(0, 3)).toEqual([1, 2, 3]);

    const ac = new AbortController();
    const call = c.callTool(
      { name: "everything__trigger-long-running-operation", arguments: { duration: 60, steps: 60 } },
      undefined,
      { signal: ac.signal, onprogress: () => ac.abort("changed my mind") },
    );
    await expect(call).rejects.toBeDefined();
    // The gateway's upstream request ends with the downstream cancel, long before the operation would.
    await vi.waitFor(() => expect(upstream()?.inflight).toBe(0), { timeout: 10_000 });
    await h.s.gateway.log.flush();
    await vi.waitFor(async () => {
      await h.s.gateway.log.flush();
      const rows = await h.s.db.db
        .selectFrom("gateway_requests")
        .selectAll()
        .where("tool", "=", "trigger-long-running-operation")
        .execute();
      expect(rows.map((r) => r.error_class)).toContain("cancelled");
    });
    // Without a progress token the call takes the fast path; the client's notifications/cancelled still lands.
    const quiet = new AbortController();
    const silent = c.callTool(
      { name: "everything__trigger-long-running-operation", arguments: { duration: 60, steps: 60 } },
      undefined,
      { signal: quiet.signal },
    );
    await vi.waitFor(() => expect(upstream()?.inflight).toBe(1));
    quiet.abort("never mind");
    await expect(silent).rejects.toBeDefined();
    await vi.waitFor(() => expect(upstream()?.inflight).toBe(0), { timeout: 10_000 });
    expect(textOf(await c.callTool({ name: "everything__echo", arguments: { message: "still fine" } }))).toBe(
      "Echo: still fine",
    );
    await c.close();
  });

  it("the upstream killed mid-session gives a clean error, then recovers", async () => {
    const c = await mcpClient(srv.base, fullKey);
    expect(textOf(await c.callTool({ name: "everything__echo", arguments: { message: "before" } }))).toBe(
      "Echo: before",
    );
    const pid = upstream()?.pid;
    expect(pid).toBeTypeOf("number");
    const inFlight = c.callTool({
      name: "everything__trigger-long-running-operation",
      arguments: { duration: 30, steps: 30 },
    });
    await vi.waitFor(() => expect(upstream()?.inflight).toBe(1));
    process.kill(pid as number, "SIGKILL");
    const err = await inFlight.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).message).toMatch(/^MCP error -?\d+: Upstream unavailable \(request req_/);
    // Same session, next call: a fresh process answers.
    expect(textOf(await c.callTool({ name: "everything__echo", arguments: { message: "after" } }))).toBe(
      "Echo: after",
    );
    expect(upstream()?.pid).not.toBe(pid);
    await c.close();
  });

  it("100 connect/disconnect cycles leave no extra child process", async () => {
    const warm = await mcpClient(srv.base, fullKey);
    await warm.callTool({ name: "everything__echo", arguments: { message: "warm" } });
    await warm.close();
    const before = childPids().sort();
    expect(before).toContain(upstream()?.pid);
    const sessionsBefore = h.s.gateway.sessionCount;
    for (let i = 0; i < 100; i++) {
      const c = await mcpClient(srv.base, fullKey);
      expect(textOf(await c.callTool({ name: "everything__echo", arguments: { message: `n${i}` } }))).toBe(
        `Echo: n${i}`,
      );
      // Half end their session politely, half just drop the connection.
      if (i % 2 === 0) await (c.transport as { terminateSession?: () => Promise<void> }).terminateSession?.();
      await c.close();
    }
    expect(childPids().sort()).toEqual(before);
    expect(h.s.gateway.pool.stdioCount).toBe(1);
    // Dropped sessions linger until the idle sweep, which ends them.
    clock.advance(h.s.config.gateway.sessionIdleMs);
    await h.s.gateway.sweep();
    expect(h.s.gateway.sessionCount).toBeLessThanOrEqual(sessionsBefore);
  });

  it("upstream list_changed reaches the client", async () => {
    const seen: string[] = [];
    const c = await mcpClient(srv.base, fullKey, { onNotification: (m) => seen.push(m) });
    const before = (await c.listResources()).resources.length;
    // gzip-file-as-resource registers a new session resource upstream, which announces resources/list_changed.
    await c.callTool({
      name: "everything__gzip-file-as-resource",
      arguments: { name: "note.txt.gz", data: "data:text/plain;base64,aGVsbG8=", outputType: "resourceLink" },
    });
    await vi.waitFor(() => expect(seen).toContain("notifications/resources/list_changed"), {
      timeout: 10_000,
    });
    const after = (await c.listResources()).resources;
    expect(after.length).toBe(before + 1);
    expect(after.some((r) => r.uri === "demo://resource/session/note.txt.gz")).toBe(true);
    await c.close();
  });

  it("idle stdio servers are reaped, and shutdown stops them and waits", async () => {
    const c = await mcpClient(srv.base, fullKey);
    await c.callTool({ name: "everything__echo", arguments: { message: "x" } });
    await c.close();
    const pid = upstream()?.pid as number;
    expect(childPids()).toContain(pid);
    clock.advance(h.s.config.gateway.stdioIdleMs);
    await h.s.gateway.sweep();
    expect(childPids()).not.toContain(pid);
    expect(h.s.gateway.pool.stdioCount).toBe(0);
    // Used again: started again; closing the services stops it before close() resolves.
    const again = await mcpClient(srv.base, fullKey);
    await again.callTool({ name: "everything__echo", arguments: { message: "y" } });
    await again.close();
    const next = upstream()?.pid as number;
    expect(childPids()).toContain(next);
    await h.s.gateway.close();
    expect(childPids()).not.toContain(next);
  });
});
