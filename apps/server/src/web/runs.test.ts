// The web app's run routes: list/filter, detail, events, the live stream over a session, and cancel by role.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Actor, actor, eventOf, newRun, ROOMY_BUDGETS, SseReader } from "../runs/test-support/api.js";
import { createHarness, type Harness, type TestUser } from "../test-support/harness.js";

let h: Harness;
let a: Actor;
let cookie: string;
const readers: SseReader[] = [];

type Env<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };
const data = <T>(b: Env<T>): T => {
  if (!b.ok) throw new Error(`expected success, got ${JSON.stringify(b.error)}`);
  return b.data;
};

async function teammate(role: "member" | "viewer"): Promise<{ u: TestUser; cookie: string }> {
  const u = await h.user({ team: a.user.team, role });
  return { u, cookie: await h.signIn(u) };
}

beforeAll(async () => {
  h = await createHarness({ env: ROOMY_BUDGETS });
  a = await actor(h);
  cookie = await h.signIn(a.user);
});
afterEach(async () => {
  for (const r of readers.splice(0)) await r.cancel();
});
afterAll(async () => {
  await h.close();
});

describe("web run routes", () => {
  it("lists the team's runs newest first, filtered by status, a page at a time", async () => {
    const first = await newRun(h, a, "first");
    const second = await newRun(h, a, "second");
    await h.request("POST", `/api/web/runs/${first.id}/cancel`, { cookie });
    const all = await h.json<Env<{ runs: Array<{ id: string }>; nextCursor: string | null }>>(
      "GET",
      "/api/web/runs?limit=1",
      { cookie },
    );
    const page = data(all.body);
    expect(page.runs.map((r) => r.id)).toEqual([second.id]);
    expect(page.nextCursor).not.toBeNull();
    const next = await h.json<Env<{ runs: Array<{ id: string }> }>>(
      "GET",
      `/api/web/runs?limit=1&cursor=${encodeURIComponent(page.nextCursor ?? "")}`,
      { cookie },
    );
    expect(data(next.body).runs.map((r) => r.id)).toEqual([first.id]);
    const cancelled = await h.json<Env<{ runs: Array<{ id: string; status: string }> }>>(
      "GET",
      "/api/web/runs?status=cancelled",
      { cookie },
    );
    expect(data(cancelled.body).runs.map((r) => r.id)).toEqual([first.id]);
    expect((await h.request("GET", "/api/web/runs?status=bogus", { cookie })).status).toBe(400);
    expect((await h.request("GET", "/api/web/runs?cursor=%%%", { cookie })).status).toBe(400);
  });

  it("reads one run with its repo and its sanitised events; another team's run is 404", async () => {
    const run = await newRun(h, a);
    await h.s.events.append(run.id, [
      { type: "log", message: "key sk-abcdefghijklmnopqrstuvwxyz123456 used" },
    ]);
    const one = await h.json<Env<{ run: { id: string; status: string }; repo: { id: string } }>>(
      "GET",
      `/api/web/runs/${run.id}`,
      { cookie },
    );
    expect(data(one.body).run).toMatchObject({ id: run.id, status: "pending" });
    expect(data(one.body).repo.id).toBe(a.repoId);
    const events = await h.json<Env<{ events: Array<{ seq: number; message: string }> }>>(
      "GET",
      `/api/web/runs/${run.id}/events?after=0`,
      { cookie },
    );
    const list = data(events.body).events;
    expect(list.map((e) => e.seq)).toEqual([1]);
    expect(list[0]?.message).not.toContain("sk-abcdefghijklmnopqrstuvwxyz123456");
    const other = await actor(h);
    const theirs = await newRun(h, other);
    for (const path of [`/api/web/runs/${theirs.id}`, `/api/web/runs/${theirs.id}/events`]) {
      expect((await h.request("GET", path, { cookie })).status, path).toBe(404);
    }
    expect((await h.request("POST", `/api/web/runs/${theirs.id}/cancel`, { cookie })).status).toBe(404);
    expect((await h.request("GET", `/api/web/runs/${theirs.id}/events/stream`, { cookie })).status).toBe(404);
    expect((await h.request("GET", `/api/web/runs/${run.id}`, { token: a.token })).status).toBe(403);
    expect((await h.request("GET", `/api/web/runs/${run.id}`)).status).toBe(401);
  });

  it("streams backlog then live events over the session cookie, and closes after the terminal event", async () => {
    const run = await newRun(h, a);
    await h.s.events.append(run.id, [{ type: "log", message: "before" }]);
    const res = await h.request("GET", `/api/web/runs/${run.id}/events/stream`, { cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const reader = new SseReader(res);
    readers.push(reader);
    const backlog = await reader.next();
    expect([backlog?.id, backlog && eventOf(backlog).message]).toEqual(["1", "before"]);
    await h.s.events.append(run.id, [{ type: "log", message: "live" }]);
    const live = await reader.next();
    expect([live?.id, live?.event, live && eventOf(live).message]).toEqual(["2", "log", "live"]);
    await h.request("POST", `/api/web/runs/${run.id}/cancel`, { cookie });
    const rest = await reader.rest();
    expect(rest.map((m) => m.event)).toEqual(["cancel_requested", "status_changed", "cancelled"]);
  });

  it("resumes after Last-Event-ID, and takes the team from ?team= (EventSource sends no headers)", async () => {
    const run = await newRun(h, a);
    await h.s.events.append(run.id, [
      { type: "log", message: "one" },
      { type: "log", message: "two" },
      { type: "finished", message: "done" },
    ]);
    const res = await h.request("GET", `/api/web/runs/${run.id}/events/stream?team=${a.user.team}`, {
      cookie,
      headers: { "last-event-id": "1" },
    });
    const reader = new SseReader(res);
    readers.push(reader);
    expect((await reader.rest()).map((m) => m.id)).toEqual(["2", "3"]);
    const stranger = await h.user();
    const foreign = await h.request("GET", `/api/web/runs/${run.id}/events/stream?team=${stranger.teamId}`, {
      cookie,
    });
    expect(foreign.status).toBe(404);
  });

  it("lets members cancel (idempotently) and never viewers", async () => {
    const run = await newRun(h, a);
    const viewer = await teammate("viewer");
    const denied = await h.json<Env<unknown>>("POST", `/api/web/runs/${run.id}/cancel`, {
      cookie: viewer.cookie,
    });
    expect(denied.status).toBe(403);
    const member = await teammate("member");
    const first = await h.json<Env<{ run: { status: string }; alreadyTerminal: boolean }>>(
      "POST",
      `/api/web/runs/${run.id}/cancel`,
      { cookie: member.cookie },
    );
    expect(first.status).toBe(200);
    expect(data(first.body)).toMatchObject({ run: { status: "cancelled" }, alreadyTerminal: false });
    const again = await h.json<Env<{ alreadyTerminal: boolean }>>("POST", `/api/web/runs/${run.id}/cancel`, {
      cookie: member.cookie,
    });
    expect(data(again.body).alreadyTerminal).toBe(true);
    const forged = await h.request("POST", `/api/web/runs/${run.id}/cancel`, {
      cookie: member.cookie,
      origin: "https://evil.example",
    });
    expect(forged.status).toBe(403);
    // A viewer still reads the run.
    expect((await h.request("GET", `/api/web/runs/${run.id}`, { cookie: viewer.cookie })).status).toBe(200);
  });
});
