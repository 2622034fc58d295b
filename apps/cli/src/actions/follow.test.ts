// Following a run: Last-Event-ID resume, Retry-After, back-off, --timeout, output shape.
import { MogplexApiError, MogplexNetworkError } from "@mogplex/client";
import type { Run, RunEvent } from "@mogplex/contract";
import { describe, expect, it } from "vitest";
import { testCtx } from "../test-support/ctx.js";
import type { Api } from "./api.js";
import { backoff, followRun, retryDelayMs } from "./follow.js";
import { runEvents } from "./runs.js";

const ev = (seq: number, type: RunEvent["type"] = "log"): RunEvent => ({
  id: `e${seq}`,
  seq,
  type,
  toolName: null,
  message: `m${seq}`,
  payload: null,
  createdAt: "2030-01-01T00:00:00.000Z",
});
const run = (status: Run["status"]): Run =>
  ({
    id: "r1",
    status,
    error: null,
    branch: { base: "main", working: null, createBranch: false },
  }) as unknown as Run;

/** A fake API whose stream answers each connection from a script: events then an end, or a failure. */
function fakeApi(
  connections: Array<{ events: RunEvent[]; failWith?: Error }>,
  status: Run["status"] = "running",
) {
  const seenLastIds: Array<number | undefined> = [];
  let current: Run["status"] = status;
  const api = {
    async *streamRunEvents(_id: string, o: { lastEventId?: number }) {
      seenLastIds.push(o.lastEventId);
      const c = connections.shift();
      if (!c) throw new Error("no more scripted connections");
      for (const e of c.events) {
        if (e.type === "cancelled") current = "cancelled";
        if (e.type === "failed") current = "failed";
        if (e.type === "finished") current = "success";
        yield e;
      }
      if (c.failWith) throw c.failWith;
    },
    async getRun() {
      return { run: run(current) };
    },
  } as unknown as Api;
  return { api, seenLastIds };
}

const noSleep = { sleep: async () => {} };

describe("following a run", () => {
  it("reconnects with Last-Event-ID after a dropped stream and prints each event once", async () => {
    const { api, seenLastIds } = fakeApi([
      { events: [ev(1), ev(2)], failWith: new MogplexNetworkError("event stream interrupted") },
      { events: [ev(3), ev(4, "cancelled")] },
    ]);
    const ctx = testCtx();
    const seen: number[] = [];
    const final = await followRun(ctx, api, "r1", { onEvent: (e) => seen.push(e.seq) }, noSleep);
    expect(seenLastIds).toEqual([undefined, 2]);
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(final.status).toBe("cancelled");
  });

  it("a clean close without a terminal event reconnects too; an ended run with nothing new is final", async () => {
    const { api, seenLastIds } = fakeApi([{ events: [ev(1)] }, { events: [] }], "success");
    const final = await followRun(testCtx(), api, "r1", { after: 0, onEvent: () => {} }, noSleep);
    expect(seenLastIds).toEqual([0, 1]);
    expect(final.status).toBe("success");
  });

  it("honours Retry-After on 429/503 and backs off on network errors; gives up at once on 401/403/404", () => {
    expect(retryDelayMs(new MogplexApiError(429, "RATE_LIMITED", "x", undefined, 7), 0)).toBe(7000);
    expect(retryDelayMs(new MogplexApiError(503, "SERVICE_UNAVAILABLE", "x", undefined, 60), 3)).toBe(60_000);
    expect(retryDelayMs(new MogplexNetworkError("x"), 0)).toBe(500);
    expect(retryDelayMs(new MogplexNetworkError("x"), 10)).toBe(backoff(10));
    expect(backoff(10)).toBe(10_000);
    for (const status of [400, 401, 403, 404]) {
      expect(() => retryDelayMs(new MogplexApiError(status, "X", "x", undefined, undefined), 0)).toThrow();
    }
  });

  it("waits as told between attempts", async () => {
    const waits: number[] = [];
    const { api } = fakeApi([
      { events: [], failWith: new MogplexApiError(503, "SERVICE_UNAVAILABLE", "down", undefined, 60) },
      { events: [ev(1, "finished")] },
    ]);
    await followRun(
      testCtx(),
      api,
      "r1",
      { onEvent: () => {} },
      { sleep: async (ms) => void waits.push(ms) },
    );
    expect(waits).toEqual([60_000]);
  });

  it("--timeout ends with a temporary error (exit 75) while the run goes on", async () => {
    const api = {
      async *streamRunEvents(_id: string, o: { signal?: AbortSignal }) {
        await new Promise((_, reject) =>
          o.signal?.addEventListener("abort", () => reject(new Error("aborted"))),
        );
        yield ev(1);
      },
      async getRun() {
        return { run: run("running") };
      },
    } as unknown as Api;
    await expect(
      followRun(testCtx(), api, "r1", { timeoutS: 0.05, onEvent: () => {} }, noSleep),
    ).rejects.toMatchObject({
      exitCode: 75,
    });
  });

  it("prints NDJSON events then the run, or lines then its status; success ends normally", async () => {
    const ctx = testCtx();
    await runEvents(
      ctx,
      fakeApi([{ events: [ev(1), ev(2, "finished")] }]).api,
      "r1",
      { follow: true, json: true },
      noSleep,
    );
    expect(ctx.stdout.map((l) => Object.keys(JSON.parse(l) as object)[0])).toEqual(["id", "id", "run"]);
    const human = testCtx();
    await runEvents(
      human,
      fakeApi([{ events: [ev(1), ev(2, "finished")] }]).api,
      "r1",
      { follow: true },
      noSleep,
    );
    expect(human.stdout).toEqual(["#1 00:00:00 log: m1", "#2 00:00:00 finished: m2", "run r1 success"]);
  });

  it("a run that ends failed or cancelled still prints everything, then exits 1", async () => {
    for (const [type, status] of [
      ["failed", "failed"],
      ["cancelled", "cancelled"],
    ] as const) {
      const ctx = testCtx();
      await expect(
        runEvents(ctx, fakeApi([{ events: [ev(1), ev(2, type)] }]).api, "r1", { follow: true }, noSleep),
      ).rejects.toMatchObject({
        exitCode: 1,
        code: `RUN_${status.toUpperCase()}`,
        message: `run r1 ended ${status}`,
      });
      expect(ctx.stdout).toEqual(["#1 00:00:00 log: m1", `#2 00:00:00 ${type}: m2`, `run r1 ${status}`]);
    }
  });
});
