// GET /runs: newest first, keyset pages that neither skip nor repeat, filters, and team scoping.
import type { Run } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, FakeClock, type Harness } from "../test-support/harness.js";
import { API, actor, dataOf, type Env, errorOf, newRun, ROOMY_BUDGETS, walk } from "./test-support/api.js";

let h: Harness;
const clock = new FakeClock();
beforeAll(async () => {
  h = await createHarness({ clock, env: ROOMY_BUDGETS });
});
afterAll(async () => {
  await h.close();
});

type Page = { runs: Run[]; nextCursor: string | null };
const list = (token: string, query = "") => h.json<Env<Page>>("GET", `${API}/runs${query}`, { token });

describe("GET /runs", () => {
  it("walks 7 runs in pages of 3, newest first, without duplicates or gaps", async () => {
    const a = await actor(h);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      made.push((await newRun(h, a, `run ${i}`)).id);
      clock.advance(1000);
    }
    const { ids, pageSizes } = await walk(h, a.token, `${API}/runs`, "runs", 3);
    expect(pageSizes).toEqual([3, 3, 1]);
    expect(ids).toEqual([...made].reverse());
  });

  it("pages correctly through runs created in the same millisecond", async () => {
    const a = await actor(h);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await newRun(h, a, `same ${i}`)).id);
    const { ids } = await walk(h, a.token, `${API}/runs`, "runs", 3);
    expect(ids).toHaveLength(7);
    expect(new Set(ids)).toEqual(new Set(made));
    // The first page agrees with the order the whole list comes back in.
    const whole = dataOf((await list(a.token)).body).runs.map((r) => r.id);
    expect(ids).toEqual(whole);
    clock.advance(1000);
  });

  it("shows only the caller's team", async () => {
    const a = await actor(h);
    const b = await actor(h);
    const mine = await newRun(h, a);
    await newRun(h, b);
    const runs = dataOf((await list(a.token)).body).runs;
    expect(runs.map((r) => r.id)).toEqual([mine.id]);
    const foreign = await h.json<Env<never>>("GET", `${API}/runs/${mine.id}`, { token: b.token });
    expect(foreign.status).toBe(404);
    expect(errorOf(foreign.body).code).toBe("NOT_FOUND");
  });

  it("filters by repoId and status", async () => {
    const a = await actor(h);
    const otherRepo = await h.repo(a.user.teamId);
    const r1 = await newRun(h, a);
    clock.advance(10);
    const r2 = await newRun(h, a);
    clock.advance(10);
    const inOther = await newRun(h, { ...a, repoId: otherRepo });
    await h.json("POST", `${API}/runs/${r1.id}/cancel`, { token: a.token });

    const byRepo = dataOf((await list(a.token, `?repoId=${a.repoId}`)).body).runs.map((r) => r.id);
    expect(byRepo).toEqual([r2.id, r1.id]);
    const other = dataOf((await list(a.token, `?repoId=${otherRepo}`)).body).runs.map((r) => r.id);
    expect(other).toEqual([inOther.id]);
    const cancelled = dataOf((await list(a.token, "?status=cancelled")).body).runs.map((r) => r.id);
    expect(cancelled).toEqual([r1.id]);
    const pendingHere = dataOf((await list(a.token, `?status=pending&repoId=${a.repoId}`)).body).runs;
    expect(pendingHere.map((r) => r.id)).toEqual([r2.id]);
    expect((await list(a.token, "?status=exploded")).status).toBe(400);
  });

  it("clamps limit to at least 1 and rejects a non-numeric limit", async () => {
    const a = await actor(h);
    await newRun(h, a);
    clock.advance(10);
    await newRun(h, a);
    const zero = dataOf((await list(a.token, "?limit=0")).body);
    expect(zero.runs).toHaveLength(1);
    expect(zero.nextCursor).not.toBeNull();
    expect(dataOf((await list(a.token, "?limit=999999")).body).runs).toHaveLength(2);
    for (const bad of ["abc", "-1", "1.5"]) {
      const r = await list(a.token, `?limit=${bad}`);
      expect(r.status, bad).toBe(400);
    }
  });

  it("rejects a tampered or foreign-looking cursor with 400", async () => {
    const a = await actor(h);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    for (const cursor of [
      "!!!",
      "bm90IGpzb24",
      b64({ createdAt: "yesterday", id: "x" }),
      b64({ createdAt: 1, id: "x".repeat(65) }),
      b64([1, 2]),
      "x".repeat(600),
    ]) {
      const r = await list(a.token, `?cursor=${encodeURIComponent(cursor)}`);
      expect(r.status, cursor.slice(0, 20)).toBe(400);
      expect(errorOf(r.body).code).toBe("BAD_REQUEST");
    }
  });

  it("needs the read scope", async () => {
    const a = await actor(h);
    const writeOnly = await h.pat(a.user, { scopes: ["write"] });
    const r = await list(writeOnly.token);
    expect(r.status).toBe(403);
    expect(errorOf(r.body).message).toBe(
      "Missing required scope: read. Issue a new token with the 'read' scope at /settings/api-keys.",
    );
  });
});
