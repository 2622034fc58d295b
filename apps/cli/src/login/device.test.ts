// Device sign-in polling against a fake server: interval, slow_down, back-off, denial, expiry.
import { describe, expect, it } from "vitest";
import { testCtx } from "../test-support/ctx.js";
import { DEVICE_GRANT, deviceLogin } from "./device.js";

const TOKEN = `mog_${"D".repeat(32)}`;
const START = {
  device_code: "dev-code-0123456789",
  user_code: "BCDF-GHJK",
  verification_uri: "http://127.0.0.1:4100/device",
  verification_uri_complete: "http://127.0.0.1:4100/device?user_code=BCDF-GHJK",
  expires_in: 600,
  interval: 5,
};

/** A fake server: the device-code answer, then one scripted answer per poll. */
function server(polls: Array<{ status: number; body: Record<string, unknown> } | "network">) {
  const bodies: unknown[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    bodies.push(JSON.parse(String(init.body)));
    if (url.endsWith("/device/code")) return Response.json(START);
    const next = polls.shift();
    if (!next) throw new Error("polled too often");
    if (next === "network") throw new TypeError("fetch failed");
    return Response.json(next.body, { status: next.status });
  }) as typeof globalThis.fetch;
  return { fetch, bodies };
}

function clock() {
  let t = 1_000_000;
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
    t += ms;
  };
  return { waits, sleep, now: () => t };
}

const pending = { status: 400, body: { error: "authorization_pending" } };

describe("device sign-in polling", () => {
  it("waits the interval, adds 5 s on slow_down, backs off on network errors, and returns the token", async () => {
    const s = server([
      pending,
      { status: 400, body: { error: "slow_down" } },
      "network",
      pending,
      { status: 200, body: { access_token: TOKEN, token_type: "Bearer", expires_in: 7_776_000 } },
    ]);
    const c = clock();
    const ctx = testCtx();
    const issued = await deviceLogin(ctx, "http://127.0.0.1:4100", { ...c, fetch: s.fetch });
    expect(issued.token).toBe(TOKEN);
    expect(Date.parse(issued.expiresAt as string)).toBe(c.now() + 7_776_000_000);
    expect(c.waits).toEqual([5000, 5000, 10_000, 20_000, 10_000]);
    expect(s.bodies[1]).toEqual({
      grant_type: DEVICE_GRANT,
      device_code: START.device_code,
      client_id: "mogplex-cli",
    });
    expect(ctx.stderr.join("\n")).toContain(
      "open http://127.0.0.1:4100/device and enter the code: BCDF-GHJK",
    );
  });

  it("access_denied → exit 65; expired_token → exit 1", async () => {
    const denied = deviceLogin(testCtx(), "http://x", {
      ...clock(),
      fetch: server([{ status: 400, body: { error: "access_denied" } }]).fetch,
    });
    await expect(denied).rejects.toMatchObject({ exitCode: 65, code: "ACCESS_DENIED" });
    const expired = deviceLogin(testCtx(), "http://x", {
      ...clock(),
      fetch: server([{ status: 400, body: { error: "expired_token" } }]).fetch,
    });
    await expect(expired).rejects.toMatchObject({ exitCode: 1, code: "EXPIRED_TOKEN" });
  });

  it("stops polling once the code's lifetime is over", async () => {
    const many = Array.from({ length: 200 }, () => pending);
    const c = clock();
    await expect(
      deviceLogin(testCtx(), "http://x", { ...c, fetch: server(many).fetch }),
    ).rejects.toMatchObject({ code: "EXPIRED_TOKEN" });
    expect(c.waits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(600_000);
  });

  it("never logs the device code or the token", async () => {
    const ctx = testCtx();
    await deviceLogin(ctx, "http://127.0.0.1:4100", {
      ...clock(),
      fetch: server([{ status: 200, body: { access_token: TOKEN, expires_in: 1 } }]).fetch,
    });
    ctx.log.close();
    const { readFileSync } = await import("node:fs");
    const text = readFileSync(ctx.log.path, "utf8");
    expect(text).not.toContain(START.device_code);
    expect(text).not.toContain(TOKEN.slice(4));
  });
});
