// The endpoint's gate, the steps it shares with the public API: the per-address budget of failed keys (checked
// before any key work) and the limiter failing closed, answered in the JSON-RPC envelope.

import { CreateGatewayKeyRequest } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LimitDecision,
  LimiterUnavailableError,
  MemoryRateLimitStore,
  type RateLimitStore,
  type WindowRule,
} from "../limits/index.js";
import { createHarness, FakeClock, type Harness, type TestUser } from "../test-support/harness.js";
import { listen, RAW_INITIALIZE } from "./test-support/everything.js";

const SYS = { actorType: "system", actorId: null } as const;
const INIT = RAW_INITIALIZE;

/** A real in-memory limiter whose backend can be taken away. */
class SwitchableLimiter implements RateLimitStore {
  down = false;
  private readonly inner = new MemoryRateLimitStore();
  hit(key: string, rule: WindowRule, now: number): Promise<LimitDecision> {
    if (this.down) return Promise.reject(new LimiterUnavailableError("backend away"));
    return this.inner.hit(key, rule, now);
  }
  peek(key: string, rule: WindowRule, now: number): Promise<LimitDecision> {
    if (this.down) return Promise.reject(new LimiterUnavailableError("backend away"));
    return this.inner.peek(key, rule, now);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe("gateway gate", () => {
  const clock = new FakeClock();
  const limiter = new SwitchableLimiter();
  let h: Harness;
  let srv: { base: string; close(): Promise<void> };
  let owner: TestUser;
  let key: string;

  const post = (headers: Record<string, string>) =>
    fetch(`${srv.base}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...headers,
      },
      body: JSON.stringify(INIT),
    });
  const rpcError = async (r: Response) =>
    ((await r.json()) as { jsonrpc: string; error: { code: number; message: string } }).error;

  beforeAll(async () => {
    h = await createHarness({ clock, limiter, env: { MOGPLEX_IP_RATE_LIMIT: "3/60s" } });
    srv = await listen(h);
    owner = await h.user();
    const req = CreateGatewayKeyRequest.parse({ name: "gate", rateLimitRps: 1000 });
    key = (await h.s.gateway.keys.create(owner.userId, owner.teamId, req, SYS)).key;
  });
  afterAll(async () => {
    await srv.close();
    await h.close();
  });

  it("refuses an address over its budget of failed keys, before looking at the key, until the window passes", async () => {
    const bad = `${key.slice(0, -1)}${key.at(-1) === "0" ? "1" : "0"}`;
    for (let i = 0; i < 3; i++) expect((await post({ authorization: `Bearer ${bad}` })).status).toBe(401);
    const refused = await post({ authorization: `Bearer ${key}` });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await rpcError(refused)).toMatchObject({
      code: -32600,
      message: expect.stringMatching(/^Rate limit exceeded/),
    });
    clock.advance(61_000);
    expect((await post({ authorization: `Bearer ${key}` })).status).toBe(200);
  });

  it("fails closed with a JSON-RPC 503 when the limiter is away", async () => {
    limiter.down = true;
    try {
      const r = await post({ authorization: `Bearer ${key}` });
      expect(r.status).toBe(503);
      expect(r.headers.get("retry-after")).toBe("60");
      expect(await rpcError(r)).toEqual({
        code: -32603,
        message: "Rate limiter unavailable; try again later",
      });
    } finally {
      limiter.down = false;
    }
  });
});
