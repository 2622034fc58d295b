// The platform MCP server at /api/v1/mogplex/mcp, driven by the SDK's own Client: tools, errors as results, auth and limits.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { missingScopeMessage, PUBLIC_BASE } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen, RAW_INITIALIZE } from "../gateway/test-support/everything.js";
import { createHarness, FakeClock, type Harness, type TestUser } from "../test-support/harness.js";

type ToolResult = { isError?: boolean; structuredContent?: Record<string, unknown> };
const URL_PATH = `${PUBLIC_BASE}/mcp`;

describe("platform MCP server", () => {
  const clock = new FakeClock();
  let h: Harness;
  let srv: { base: string; close(): Promise<void> };
  let owner: TestUser;
  let repoId: string;
  let foreignRepo: string;

  const connect = async (token: string) => {
    const c = new Client({ name: "test", version: "1" });
    await c.connect(
      new StreamableHTTPClientTransport(new URL(`${srv.base}${URL_PATH}`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    return c;
  };
  const call = async (c: Client, name: string, args: Record<string, unknown> = {}) =>
    (await c.callTool({ name, arguments: args })) as ToolResult;
  const errorOf = (r: ToolResult) => {
    expect(r.isError).toBe(true);
    return (r.structuredContent as { error: { code: string; message: string } }).error;
  };

  beforeAll(async () => {
    h = await createHarness({ clock, env: { MOGPLEX_RUN_START_LIMITS: "3/1m,30/1h,150/1d" } });
    srv = await listen(h);
    owner = await h.user();
    repoId = await h.repo(owner.teamId, "acme/platform");
    foreignRepo = await h.repo((await h.user()).teamId);
  });
  afterAll(async () => {
    await srv?.close();
    await h?.close();
  });

  it("lists the tools and answers them from the team's data only", async () => {
    const c = await connect((await h.pat(owner)).token);
    const names = (await c.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual([
      "cancel_run",
      "get_run",
      "get_run_events",
      "list_repos",
      "list_sandboxes",
      "start_run",
    ]);
    const repos = (await call(c, "list_repos")).structuredContent as { repos: Array<{ id: string }> };
    expect(repos.repos.map((r) => r.id)).toEqual([repoId]);
    expect(JSON.stringify(repos)).not.toContain(foreignRepo);
    expect(errorOf(await call(c, "start_run", { repoId: foreignRepo, prompt: "x" })).code).toBe("NOT_FOUND");
    await c.close();
  });

  it("starts runs (source mcp) with a generated or given idempotency key, reads, lists events and cancels", async () => {
    const c = await connect((await h.pat(owner)).token);
    const first = (await call(c, "start_run", { repoId, prompt: "via mcp" })).structuredContent as {
      run: { id: string; source: string; status: string };
      replayed: boolean;
      idempotencyKey: string;
    };
    expect(first.run.source).toBe("mcp");
    expect(first.replayed).toBe(false);
    expect(first.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    const again = (
      await call(c, "start_run", { repoId, prompt: "via mcp", idempotencyKey: first.idempotencyKey })
    ).structuredContent as { run: { id: string }; replayed: boolean };
    expect(again).toMatchObject({ run: { id: first.run.id }, replayed: true });
    const changed = await call(c, "start_run", {
      repoId,
      prompt: "different",
      idempotencyKey: first.idempotencyKey,
    });
    expect(errorOf(changed).code).toBe("IDEMPOTENCY_CONFLICT");

    const got = (await call(c, "get_run", { runId: first.run.id })).structuredContent as {
      run: { id: string };
    };
    expect(got.run.id).toBe(first.run.id);
    const cancelled = (await call(c, "cancel_run", { runId: first.run.id })).structuredContent as {
      run: { status: string };
      alreadyTerminal: boolean;
    };
    expect(cancelled).toMatchObject({ run: { status: "cancelled" }, alreadyTerminal: false });
    expect((await call(c, "cancel_run", { runId: first.run.id })).structuredContent).toMatchObject({
      alreadyTerminal: true,
    });
    const events = (await call(c, "get_run_events", { runId: first.run.id })).structuredContent as {
      events: Array<{ type: string }>;
    };
    expect(events.events.map((e) => e.type)).toContain("cancelled");
    const sandboxes = (await call(c, "list_sandboxes")).structuredContent as { sandboxes: unknown[] };
    expect(Array.isArray(sandboxes.sandboxes)).toBe(true);
    await c.close();
  });

  it("reports failures as results with a structured error", async () => {
    const c = await connect((await h.pat(owner)).token);
    expect(errorOf(await call(c, "get_run", { runId: "no-such-run" }))).toMatchObject({ code: "NOT_FOUND" });
    expect(errorOf(await call(c, "get_run", {})).code).toBe("BAD_REQUEST");
    expect(
      errorOf(await call(c, "start_run", { repoId, prompt: "p", rootDirectory: "../escape" })).code,
    ).toBe("BAD_REQUEST");
    expect(errorOf(await call(c, "list_repos", { surprise: 1 })).code).toBe("BAD_REQUEST");
    expect(errorOf(await call(c, "no_such_tool")).code).toBe("NOT_FOUND");
    await c.close();
  });

  it("applies scopes, the viewer rule and the shared run-start budget", async () => {
    const readOnly = await connect((await h.pat(owner, { scopes: ["read"] })).token);
    expect((await call(readOnly, "list_repos")).isError).toBeFalsy();
    const denied = errorOf(await call(readOnly, "start_run", { repoId, prompt: "p" }));
    expect(denied).toEqual({ code: "FORBIDDEN", message: missingScopeMessage("write") });
    await readOnly.close();
    const writeOnly = await connect((await h.pat(owner, { scopes: ["write"] })).token);
    expect(errorOf(await call(writeOnly, "list_repos"))).toEqual({
      code: "FORBIDDEN",
      message: missingScopeMessage("read"),
    });
    await writeOnly.close();
    const viewer = await h.user({ team: owner.team, role: "viewer" });
    const v = await connect((await h.pat(viewer)).token);
    expect(errorOf(await call(v, "start_run", { repoId, prompt: "p" })).code).toBe("FORBIDDEN");
    await v.close();

    // The budget (3 a minute here) is per user, across REST and MCP alike.
    const budgeted = await h.user();
    const repo = await h.repo(budgeted.teamId);
    const c = await connect((await h.pat(budgeted)).token);
    for (let i = 0; i < 3; i++)
      expect((await call(c, "start_run", { repoId: repo, prompt: `p${i}` })).isError).toBeFalsy();
    expect(errorOf(await call(c, "start_run", { repoId: repo, prompt: "one too many" })).code).toBe(
      "RATE_LIMITED",
    );
    await c.close();
  });

  it("authenticates with a bearer PAT only, rate-limits per token, and checks Origin", async () => {
    const rpc = (headers: Record<string, string>) =>
      fetch(`${srv.base}${URL_PATH}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
        body: JSON.stringify(RAW_INITIALIZE),
      });
    const none = await rpc({});
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await rpc({ authorization: "Bearer mog_notarealtokennotarealtokennotare" })).status).toBe(401);
    const cookie = await h.signIn(owner);
    expect((await rpc({ cookie })).status).toBe(401);
    const { token } = await h.pat(owner);
    expect((await rpc({ authorization: `Bearer ${token}`, origin: "https://evil.example" })).status).toBe(
      403,
    );
    const limit = h.s.rules.pat.limit;
    for (let i = 0; i < limit; i++)
      expect((await rpc({ authorization: `Bearer ${token}` })).status).toBe(200);
    const over = await rpc({ authorization: `Bearer ${token}` });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    clock.advance(h.s.rules.pat.windowMs);
    expect((await rpc({ authorization: `Bearer ${token}` })).status).toBe(200);
    expect(
      (await fetch(`${srv.base}${URL_PATH}`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(405);
  });
});
