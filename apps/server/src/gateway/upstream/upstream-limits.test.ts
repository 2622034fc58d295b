// Upstream limits with the real server-everything: the stdio process cap and the per-server timeout.
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createHarness, type Harness, type TestUser } from "../../test-support/harness.js";
import { childPids, listen, mcpClient, stdioEverything, textOf } from "../test-support/everything.js";

const SYS = { actorType: "system", actorId: null } as const;

describe("upstream limits", () => {
  let h: Harness;
  let srv: { base: string; close(): Promise<void> };
  let u: TestUser;
  let key: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    h = await createHarness({ env: { MOGPLEX_GATEWAY_MAX_STDIO: "1" } });
    srv = await listen(h);
    u = await h.user();
    for (const [name, extra] of [
      ["first", {}],
      ["second", {}],
      ["slow", { timeoutMs: 500 }],
    ] as const) {
      ids[name] = (
        await h.s.connections.create(
          u.teamId,
          u.userId,
          { kind: "mcp_server", name, ...stdioEverything(), ...extra },
          SYS,
        )
      ).id;
    }
    key = (await h.s.gateway.keys.create(u.userId, u.teamId, { name: "k", rateLimitRps: 100_000 }, SYS)).key;
  });
  afterAll(async () => {
    await srv?.close();
    await h?.close();
  });

  it("keeps at most MOGPLEX_GATEWAY_MAX_STDIO processes: an idle one is stopped to make room", async () => {
    const c = await mcpClient(srv.base, key);
    expect(textOf(await c.callTool({ name: "first__echo", arguments: { message: "1" } }))).toBe("Echo: 1");
    const firstPid = h.s.gateway.pool.upstream(ids.first ?? "")?.pid as number;
    expect(childPids()).toContain(firstPid);
    expect(textOf(await c.callTool({ name: "second__echo", arguments: { message: "2" } }))).toBe("Echo: 2");
    expect(h.s.gateway.pool.stdioCount).toBe(1);
    expect(childPids()).not.toContain(firstPid);
    // And back: the first one is started again on demand.
    expect(textOf(await c.callTool({ name: "first__echo", arguments: { message: "3" } }))).toBe("Echo: 3");
    expect(h.s.gateway.pool.stdioCount).toBe(1);
    await c.close();
  });

  it("a busy process is not stopped for another: the newcomer waits for it to finish", async () => {
    const c = await mcpClient(srv.base, key);
    await c.callTool({ name: "first__echo", arguments: { message: "warm" } });
    const firstPid = h.s.gateway.pool.upstream(ids.first ?? "")?.pid as number;
    let longDone = false;
    const long = c
      .callTool({ name: "first__trigger-long-running-operation", arguments: { duration: 1.5, steps: 3 } })
      .then((r) => {
        longDone = true;
        return r;
      });
    await vi.waitFor(() => expect(h.s.gateway.pool.upstream(ids.first ?? "")?.inflight).toBe(1));
    expect(textOf(await c.callTool({ name: "second__echo", arguments: { message: "after" } }))).toBe(
      "Echo: after",
    );
    // The slot was only taken once the long call had finished, on the process it started on.
    expect(longDone).toBe(true);
    expect(textOf(await long)).toContain("completed");
    expect(childPids()).not.toContain(firstPid);
    await c.close();
  });

  it("a server's own timeout ends a call that runs too long, with a generic error", async () => {
    const c = await mcpClient(srv.base, key);
    const err = await c
      .callTool({ name: "slow__trigger-long-running-operation", arguments: { duration: 5, steps: 5 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).message).toMatch(/Upstream timed out \(request req_/);
    expect(textOf(await c.callTool({ name: "slow__echo", arguments: { message: "quick" } }))).toBe(
      "Echo: quick",
    );
    await c.close();
  });
});
