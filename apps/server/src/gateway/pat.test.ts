// The gateway with a Mogplex PAT (what the terminal agent uses on the account route): a key-like principal of the
// token's team, refused for read-only tokens and viewers, revoked at once, logged by token id, never logged itself.
import { PassThrough } from "node:stream";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { createHarness, FakeClock, type Harness, type TestUser } from "../test-support/harness.js";
import {
  type HttpUpstream,
  listen,
  mcpClient,
  RAW_INITIALIZE,
  startHttpEverything,
  textOf,
} from "./test-support/everything.js";

const RPS = 8;

describe("gateway with a PAT", () => {
  const clock = new FakeClock();
  let h: Harness;
  let srv: { base: string; close(): Promise<void> };
  let up: HttpUpstream;
  let owner: TestUser;
  let logs = "";

  const post = (token: string) =>
    fetch(`${srv.base}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify(RAW_INITIALIZE),
    });
  const refusal = async (token: string) => {
    const r = await post(token);
    return { status: r.status, message: ((await r.json()) as { error: { message: string } }).error.message };
  };

  beforeAll(async () => {
    const sink = new PassThrough();
    sink.on("data", (d: Buffer) => {
      logs += d.toString();
    });
    h = await createHarness({
      clock,
      logger: createLogger("debug", sink),
      env: { MOGPLEX_LOG_LEVEL: "debug", MOGPLEX_GATEWAY_DEFAULT_RPS: String(RPS) },
    });
    srv = await listen(h);
    up = await startHttpEverything();
    owner = await h.user();
    const cookie = await h.signIn(owner);
    const r = await h.json("POST", `/api/teams/${owner.teamId}/connections`, {
      cookie,
      body: { kind: "mcp_server", name: "remote", url: up.url },
    });
    expect(r.status).toBe(201);
  });
  // Each test starts in a fresh one-second window of the per-token limit.
  beforeEach(() => clock.advance(1_000));
  afterAll(async () => {
    await srv?.close();
    await h?.close();
    await up?.stop();
  });

  it("lists and calls the team's HTTP server's tools; the log row carries the token id; the PAT is in no log line", async () => {
    const pat = await h.pat(owner);
    const c = await mcpClient(srv.base, pat.token);
    expect((await c.listTools()).tools.map((t) => t.name)).toContain("remote__echo");
    expect(textOf(await c.callTool({ name: "remote__echo", arguments: { message: "via pat" } }))).toBe(
      "Echo: via pat",
    );
    await c.close();
    await h.s.gateway.log.flush();
    const rows = await h.s.db.db
      .selectFrom("gateway_requests")
      .select(["method", "server", "tool", "status", "team_id"])
      .where("key_id", "=", pat.id)
      .execute();
    expect(rows).toContainEqual({
      method: "tools/call",
      server: "remote",
      tool: "echo",
      status: "ok",
      team_id: owner.teamId,
    });
    // Neither the service log nor any request-log row holds the token.
    expect(logs).not.toContain(pat.token);
    const all = await h.s.db.db.selectFrom("gateway_requests").selectAll().execute();
    expect(JSON.stringify(all)).not.toContain(pat.token);
  });

  it("a read-only PAT is 403 with a message naming the write scope", async () => {
    const pat = await h.pat(owner, { scopes: ["read"] });
    const r = await refusal(pat.token);
    expect(r.status).toBe(403);
    expect(r.message).toMatch(/read-only.*write scope/);
  });

  it("a viewer's PAT is 403", async () => {
    const viewer = await h.user({ team: owner.team, role: "viewer" });
    const r = await refusal((await h.pat(viewer)).token);
    expect(r.status).toBe(403);
    expect(r.message).toMatch(/Viewers/);
  });

  it("a revoked PAT is refused on the next request of its session", async () => {
    const pat = await h.pat(owner);
    const c = await mcpClient(srv.base, pat.token);
    expect(textOf(await c.callTool({ name: "remote__echo", arguments: { message: "a" } }))).toBe("Echo: a");
    await h.s.tokens.revoke(owner.userId, pat.id, { actorType: "user", actorId: owner.userId });
    const err = await c
      .callTool({ name: "remote__echo", arguments: { message: "b" } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamableHTTPError);
    expect((err as StreamableHTTPError).code).toBe(401);
    await c.close().catch(() => undefined);
    expect((await post(pat.token)).status).toBe(401);
  });

  it("the token's IP allowlist applies", async () => {
    const ctx = { actorType: "user", actorId: owner.userId } as const;
    const elsewhere = await h.s.tokens.create(
      owner.userId,
      owner.teamId,
      { name: "far", ipAllowlist: ["10.0.0.0/8"] },
      ctx,
    );
    const r = await refusal(elsewhere.token);
    expect(r.status).toBe(403);
    expect(r.message).toMatch(/network address/);
  });

  it("each token has the gateway's default rate limit", async () => {
    const pat = await h.pat(owner);
    const statuses: number[] = [];
    for (let i = 0; i <= RPS; i++) statuses.push((await post(pat.token)).status);
    expect(statuses).toEqual([...Array(RPS).fill(200), 429]);
    // Another token of the same person has its own budget.
    expect((await post((await h.pat(owner)).token)).status).toBe(200);
    clock.advance(1_000);
    expect((await post(pat.token)).status).toBe(200);
  });
});
