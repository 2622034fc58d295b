// The live event stream: backlog then live events, seq ids, Last-Event-ID resume, and closing after the end.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";
import {
  type Actor,
  API,
  actor,
  eventOf,
  newRun,
  ROOMY_BUDGETS,
  SseReader,
  within,
} from "./test-support/api.js";

let h: Harness;
let a: Actor;
const readers: SseReader[] = [];

beforeAll(async () => {
  h = await createHarness({ env: ROOMY_BUDGETS });
  a = await actor(h);
});
afterEach(async () => {
  vi.restoreAllMocks();
  // A failed test may leave a stream open; closing it lets the server side finish too.
  for (const r of readers.splice(0)) await r.cancel();
});
afterAll(async () => {
  await h.close();
});

async function open(runId: string, headers: Record<string, string> = {}, token = a.token) {
  const res = await h.request("GET", `${API}/runs/${runId}/events/stream`, { token, headers });
  const reader = res.status === 200 ? new SseReader(res) : undefined;
  if (reader) readers.push(reader);
  return { res, reader };
}

const logs = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => ({ type: "log" as const, message: `line ${from + i}` }));

describe("GET /runs/{id}/events/stream", () => {
  it("answers as an event stream that is never cached", async () => {
    const run = await newRun(h, a);
    const { res } = await open(run.id);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("delivers the backlog, then live events, with seq as the id, and closes after the terminal event", async () => {
    const run = await newRun(h, a);
    await h.s.events.append(run.id, logs(2));
    const { reader } = await open(run.id);
    if (!reader) throw new Error("no stream");
    const backlog = [await reader.next(), await reader.next()];
    expect(backlog.map((m) => [m?.id, m?.event, m && eventOf(m).message])).toEqual([
      ["1", "log", "line 1"],
      ["2", "log", "line 2"],
    ]);

    // Appended after the stream caught up: these reach it through the live path.
    await h.s.events.append(run.id, logs(1, 3));
    const live = await reader.next();
    expect(live?.id).toBe("3");
    expect(live && eventOf(live)).toMatchObject({ seq: 3, type: "log", message: "line 3" });

    await h.s.events.append(run.id, [{ type: "finished", message: "done" }]);
    const rest = await reader.rest();
    expect(rest.map((m) => [m.id, m.event])).toEqual([["4", "finished"]]);
  });

  it("streams a cancellation and ends with it", async () => {
    const run = await newRun(h, a);
    await h.s.events.append(run.id, logs(1));
    const { reader } = await open(run.id);
    if (!reader) throw new Error("no stream");
    expect((await reader.next())?.id).toBe("1");
    const cancelled = await h.json("POST", `${API}/runs/${run.id}/cancel`, { token: a.token });
    expect(cancelled.status).toBe(200);
    const all = await reader.rest();
    expect(all.map((m) => m.event)).toEqual(["cancel_requested", "status_changed", "cancelled"]);
    expect(all.map((m) => m.id)).toEqual(["2", "3", "4"]);
  });

  it("resumes after Last-Event-ID without repeating anything", async () => {
    const run = await newRun(h, a);
    await h.s.events.append(run.id, logs(4));
    const { reader } = await open(run.id, { "last-event-id": "2" });
    if (!reader) throw new Error("no stream");
    expect((await reader.next())?.id).toBe("3");
    expect((await reader.next())?.id).toBe("4");
    await h.s.events.append(run.id, [...logs(1, 5), { type: "failed", message: "boom" }]);
    expect((await reader.rest()).map((m) => m.id)).toEqual(["5", "6"]);
  });

  it("streams the backlog of an already finished run and closes", async () => {
    const run = await newRun(h, a);
    await h.json("POST", `${API}/runs/${run.id}/cancel`, { token: a.token });
    const { reader } = await open(run.id);
    if (!reader) throw new Error("no stream");
    const all = await reader.rest();
    expect(all.map((m) => Number(m.id))).toEqual([1, 2, 3]);
    expect(all.at(-1)?.event).toBe("cancelled");

    // Resuming past the end of a finished run has nothing to say and closes at once.
    const resumed = await open(run.id, { "last-event-id": "3" });
    expect(await resumed.reader?.rest()).toEqual([]);
  });

  it("closes a terminal run that has no terminal event after its backlog", async () => {
    const run = await newRun(h, a);
    await h.s.events.append(run.id, logs(2));
    await h.s.db.db.updateTable("runs").set({ status: "success" }).where("id", "=", run.id).execute();
    const { reader } = await open(run.id);
    expect((await reader?.rest())?.map((m) => m.id)).toEqual(["1", "2"]);
  });

  it("does not lose the terminal events when the run ends between the backlog read and the status check", async () => {
    const run = await newRun(h, a);
    const events = h.s.events;
    const realList = events.list.bind(events);
    const realPublish = events.publish.bind(events);
    let committed!: () => void;
    const cancelCommitted = new Promise<void>((r) => {
      committed = r;
    });
    let release!: () => void;
    const published = new Promise<void>((r) => {
      release = r;
    });
    // The cancel's publish is held back, as if its process were slow after committing.
    vi.spyOn(events, "publish").mockImplementation(async (runId, list) => {
      committed();
      await published;
      return realPublish(runId, list);
    });
    // The stream's first backlog read returns (empty), then the cancel commits before the status check.
    let cancelling: Promise<unknown> | undefined;
    vi.spyOn(events, "list").mockImplementationOnce(async (runId, after, limit) => {
      const page = await realList(runId, after, limit);
      cancelling = h.s.runs.cancel(a.user.teamId, run.id, { actorType: "system", actorId: null });
      await cancelCommitted;
      return page;
    });
    try {
      const { reader } = await open(run.id);
      if (!reader) throw new Error("no stream");
      const first = await within(reader.next(), 5000, "the first streamed event").catch(() => null);
      release();
      const all = first ? [first, ...(await reader.rest())] : [];
      expect(all.map((m) => m.event)).toEqual(["cancel_requested", "status_changed", "cancelled"]);
    } finally {
      release();
      await cancelling;
    }
  });

  it("fills a gap from storage when live events arrive out of order", async () => {
    const run = await newRun(h, a);
    await h.s.events.append(run.id, logs(1));
    const { reader } = await open(run.id);
    if (!reader) throw new Error("no stream");
    expect((await reader.next())?.id).toBe("1");
    // Two appenders commit seq 2 then 3, but their publishes cross on the way out.
    const [two, three] = await h.s.db.db
      .transaction()
      .execute((trx) => h.s.events.appendIn(trx, run.id, logs(2, 2)));
    if (!two || !three) throw new Error("append failed");
    await h.s.events.publish(run.id, [three]);
    await h.s.events.publish(run.id, [two]);
    await h.s.events.append(run.id, [{ type: "finished" }]);
    expect((await reader.rest()).map((m) => m.id)).toEqual(["2", "3", "4"]);
  });

  it("rejects a malformed Last-Event-ID, another team's run and a token without read", async () => {
    const run = await newRun(h, a);
    expect((await open(run.id, { "last-event-id": "abc" })).res.status).toBe(400);
    const other = await actor(h);
    expect((await open(run.id, {}, other.token)).res.status).toBe(404);
    const writeOnly = await h.pat(a.user, { scopes: ["write"] });
    expect((await open(run.id, {}, writeOnly.token)).res.status).toBe(403);
  });

  it("unsubscribes from live events when the client disconnects", async () => {
    const run = await newRun(h, a);
    const events = h.s.events;
    const realSubscribe = events.subscribe.bind(events);
    let live = 0;
    vi.spyOn(events, "subscribe").mockImplementation((runId, listener) => {
      live++;
      const off = realSubscribe(runId, listener);
      let done = false;
      return () => {
        if (!done) live--;
        done = true;
        off();
      };
    });
    const { reader } = await open(run.id);
    if (!reader) throw new Error("no stream");
    await h.s.events.append(run.id, logs(1));
    expect((await reader.next())?.id).toBe("1");
    expect(live).toBe(1);
    await reader.cancel();
    await vi.waitFor(() => expect(live).toBe(0), { timeout: 5000, interval: 10 });
    // Events after the disconnect go nowhere and break nothing.
    await h.s.events.append(run.id, logs(1, 2));
  });
});
