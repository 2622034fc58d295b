// Cancel (idempotent, audited, evented) and the run events list: cursor paging and sanitising at storage.
import type { Run, RunEvent } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";
import {
  type Actor,
  API,
  actor,
  dataOf,
  type Env,
  errorOf,
  newRun,
  ROOMY_BUDGETS,
} from "./test-support/api.js";

let h: Harness;
let a: Actor;
beforeAll(async () => {
  h = await createHarness({ env: ROOMY_BUDGETS });
  a = await actor(h);
});
afterAll(async () => {
  await h.close();
});

type Cancelled = { run: Run; alreadyTerminal: boolean };
type EventPage = { events: RunEvent[]; nextCursor: string | null };

const cancel = (id: string, token = a.token) =>
  h.json<Env<Cancelled>>("POST", `${API}/runs/${id}/cancel`, { token });
const events = (id: string, query = "", token = a.token) =>
  h.json<Env<EventPage>>("GET", `${API}/runs/${id}/events${query}`, { token });

async function auditRows(runId: string) {
  return h.s.db.db.selectFrom("audit_events").selectAll().where("target_id", "=", runId).execute();
}

describe("POST /runs/{id}/cancel", () => {
  it("cancels a pending run with three ordered events and an audit row; a second cancel changes nothing", async () => {
    const run = await newRun(h, a);
    const first = await cancel(run.id);
    expect(first.status).toBe(200);
    const data = dataOf(first.body);
    expect(data.alreadyTerminal).toBe(false);
    expect(data.run.status).toBe("cancelled");
    expect(data.run.finishedAt).not.toBeNull();

    const list = dataOf((await events(run.id)).body).events;
    expect(list.map((e) => [e.seq, e.type])).toEqual([
      [1, "cancel_requested"],
      [2, "status_changed"],
      [3, "cancelled"],
    ]);
    expect(list[1]?.payload).toEqual({ from: "pending", to: "cancelled" });
    const audits = await auditRows(run.id);
    expect(audits.map((r) => r.action).sort()).toEqual(["run.cancel_requested", "run.created"]);
    expect(audits.find((r) => r.action === "run.cancel_requested")).toMatchObject({
      actor_id: a.user.userId,
      auth_source: "pat",
    });

    const second = await cancel(run.id);
    expect(second.status).toBe(200);
    expect(dataOf(second.body)).toEqual({ run: data.run, alreadyTerminal: true });
    expect(dataOf((await events(run.id)).body).events).toHaveLength(3);
    expect(await auditRows(run.id)).toHaveLength(2);
  });

  it("returns a finished run untouched with alreadyTerminal", async () => {
    const run = await newRun(h, a);
    await h.s.db.db.updateTable("runs").set({ status: "success" }).where("id", "=", run.id).execute();
    const r = await cancel(run.id);
    expect(dataOf(r.body)).toMatchObject({ alreadyTerminal: true, run: { status: "success" } });
    expect(dataOf((await events(run.id)).body).events).toEqual([]);
  });

  it("cancels exactly once when many cancels race", async () => {
    const run = await newRun(h, a);
    const all = await Promise.all(Array.from({ length: 6 }, () => cancel(run.id)));
    expect(all.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(all.filter((r) => dataOf(r.body).alreadyTerminal === false)).toHaveLength(1);
    const list = dataOf((await events(run.id)).body).events;
    expect(list.map((e) => e.type)).toEqual(["cancel_requested", "status_changed", "cancelled"]);
    expect((await auditRows(run.id)).filter((r) => r.action === "run.cancel_requested")).toHaveLength(1);
  });

  it("cancels exactly once when the service is called many times at once (no HTTP overhead to hide a race)", async () => {
    // A few rounds: the first ones also warm up the connection pool, which is when overlap is likeliest.
    for (let round = 0; round < 3; round++) {
      const run = await newRun(h, a);
      const all = await Promise.all(
        Array.from({ length: 10 }, () =>
          h.s.runs.cancel(a.user.teamId, run.id, { actorType: "user", actorId: a.user.userId }),
        ),
      );
      expect(all.filter((r) => !r.alreadyTerminal)).toHaveLength(1);
      expect(all.every((r) => r.run.status === "cancelled")).toBe(true);
      const list = await h.s.events.list(run.id, 0, 100);
      expect(list.events.map((e) => e.type)).toEqual(["cancel_requested", "status_changed", "cancelled"]);
      expect((await auditRows(run.id)).filter((r) => r.action === "run.cancel_requested")).toHaveLength(1);
    }
  });

  it("answers 404 for another team's run and needs the write scope", async () => {
    const run = await newRun(h, a);
    const other = await actor(h);
    const foreign = await cancel(run.id, other.token);
    expect(foreign.status).toBe(404);
    const readOnly = await h.pat(a.user, { scopes: ["read"] });
    expect((await cancel(run.id, readOnly.token)).status).toBe(403);
    expect(
      dataOf((await h.json<Env<{ run: Run }>>("GET", `${API}/runs/${run.id}`, { token: a.token })).body).run
        .status,
    ).toBe("pending");
  });
});

describe("GET /runs/{id}/events", () => {
  it("pages with limit and the after cursor, in seq order, without gaps", async () => {
    const run = await newRun(h, a);
    await h.s.events.append(
      run.id,
      Array.from({ length: 7 }, (_, i) => ({ type: "log" as const, message: `line ${i + 1}` })),
    );
    const seen: number[] = [];
    let query = "?limit=3";
    for (let pages = 0; pages < 10; pages++) {
      const page = dataOf((await events(run.id, query)).body);
      seen.push(...page.events.map((e) => e.seq));
      if (page.nextCursor === null) break;
      expect(page.events).toHaveLength(3);
      query = `?limit=3&after=${page.nextCursor}`;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const tail = dataOf((await events(run.id, "?after=5")).body);
    expect(tail.events.map((e) => e.message)).toEqual(["line 6", "line 7"]);
    expect(tail.nextCursor).toBeNull();
    expect(dataOf((await events(run.id, "?after=7")).body).events).toEqual([]);
  });

  it("serves the event shape from the spec", async () => {
    const run = await newRun(h, a);
    await h.s.events.append(run.id, [
      { type: "tool_started", toolName: "bash", message: "ls", payload: { n: 1 } },
    ]);
    const [e] = dataOf((await events(run.id)).body).events;
    expect(Object.keys(e ?? {}).sort()).toEqual([
      "createdAt",
      "id",
      "message",
      "payload",
      "seq",
      "toolName",
      "type",
    ]);
    expect(e).toMatchObject({
      seq: 1,
      type: "tool_started",
      toolName: "bash",
      message: "ls",
      payload: { n: 1 },
    });
  });

  it("rejects a malformed after cursor or limit with 400", async () => {
    const run = await newRun(h, a);
    for (const q of ["?after=abc", "?after=-1", "?after=1e3", "?limit=ten"]) {
      const r = await events(run.id, q);
      expect(r.status, q).toBe(400);
      expect(errorOf(r.body).code).toBe("BAD_REQUEST");
    }
  });

  it("answers 404 for another team's run", async () => {
    const run = await newRun(h, a);
    const other = await actor(h);
    expect((await events(run.id, "", other.token)).status).toBe(404);
  });

  it("stores events already sanitised: secret keys, secret-looking values and known secrets", async () => {
    const run = await newRun(h, a);
    const knownSecret = "hunter2-the-deploy-password";
    await h.s.events.append(
      run.id,
      [
        {
          type: "tool_finished",
          message: `deploying with ${knownSecret} and Bearer abcdefghijklmnop123456`,
          payload: {
            apiKey: "sk-live-1234567890abcdef",
            note: "Bearer abcdefghijklmnopqrstuvwxyz0123456789",
            nested: { Client_Secret: "x", ok: "fine" },
            env: { HOME: "/root" },
            echo: `the value is ${knownSecret}`,
            gh: "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
          },
        },
      ],
      [knownSecret],
    );
    const stored = await h.s.db.db
      .selectFrom("run_events")
      .select(["message", "payload"])
      .where("run_id", "=", run.id)
      .executeTakeFirstOrThrow();
    const raw = `${stored.message} ${stored.payload}`;
    for (const leaked of [
      knownSecret,
      "sk-live-1234567890abcdef",
      "abcdefghijklmnopqrstuvwxyz0123456789",
      "ghp_0123",
    ]) {
      expect(raw).not.toContain(leaked);
    }
    const [e] = dataOf((await events(run.id)).body).events;
    expect(e?.payload).toMatchObject({
      apiKey: "[redacted]",
      note: "Bearer [redacted]",
      nested: { Client_Secret: "[redacted]", ok: "fine" },
      env: "[redacted]",
      echo: "the value is [redacted]",
    });
    expect(e?.message).toBe("deploying with [redacted] and Bearer [redacted]");
  });

  it("bounds long strings and huge payloads at storage", async () => {
    const run = await newRun(h, a);
    await h.s.events.append(run.id, [
      { type: "log", message: "m".repeat(2500) },
      { type: "log", payload: { items: Array.from({ length: 30 }, (_, i) => i) } },
      { type: "log", payload: { blob: Array.from({ length: 25 }, () => "z".repeat(1900)) } },
    ]);
    const [long, many, huge] = dataOf((await events(run.id)).body).events;
    expect(long?.message).toBe(`${"m".repeat(2000)}…[truncated 500 chars]`);
    expect(JSON.stringify(many?.payload)).not.toContain("29");
    expect(huge?.payload).toMatchObject({ truncated: true, payloadPreview: expect.any(String) });
  });
});
