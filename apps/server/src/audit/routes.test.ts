// GET /api/teams/:teamId/audit-events: owners and admins only, newest first, 25 a page, cursor and filter.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, type TestUser } from "../test-support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

interface Event {
  id: string;
  seq: number;
  teamId: string;
  action: string;
  actor: { type: string; id: string | null };
  payload: Record<string, unknown>;
  createdAt: string;
}
interface Page {
  events: Event[];
  nextCursor: string | null;
}

const page = (cookie: string, teamId: string, query = "") =>
  h.json<Page>("GET", `/api/teams/${teamId}/audit-events${query}`, { cookie });

async function seed(u: TestUser, n: number, action = "test.seeded"): Promise<void> {
  await h.s.db.db.transaction().execute(async (trx) => {
    for (let i = 0; i < n; i++) {
      await h.s.audit.append(
        trx,
        { actorType: "user", actorId: u.userId },
        { teamId: u.teamId, action, payload: { i } },
      );
    }
  });
}

describe("team audit events", () => {
  it("pages newest first, 25 at a time, with an opaque cursor to the end", async () => {
    const owner = await h.user();
    await seed(owner, 60);
    const cookie = await h.signIn(owner);
    const seen: Event[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await page(cookie, owner.teamId, cursor ? `?cursor=${encodeURIComponent(cursor)}` : "");
      expect(r.status).toBe(200);
      expect(r.body.events.length).toBeLessThanOrEqual(25);
      seen.push(...r.body.events);
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    const total = await h.s.db.db
      .selectFrom("audit_events")
      .select("id")
      .where("team_id", "=", owner.teamId)
      .execute();
    expect(seen).toHaveLength(total.length);
    expect(total.length).toBeGreaterThan(60);
    expect(pages).toBe(Math.ceil(total.length / 25));
    const seqs = seen.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    for (const e of seen) expect(e.teamId).toBe(owner.teamId);
    expect(seen[0]?.action).toBe("auth.sign_in");
    expect(seen[1]).toMatchObject({
      action: "test.seeded",
      payload: { i: 59 },
      actor: { type: "user", id: owner.userId },
    });
  });

  it("filters by action", async () => {
    const owner = await h.user();
    await seed(owner, 3, "test.alpha");
    await seed(owner, 2, "test.beta");
    const r = await page(await h.signIn(owner), owner.teamId, "?action=test.beta");
    expect(r.status).toBe(200);
    expect(r.body.events.map((e) => e.action)).toEqual(["test.beta", "test.beta"]);
    expect(r.body.nextCursor).toBeNull();
  });

  it("rejects a bad cursor or action filter with 400", async () => {
    const owner = await h.user();
    const cookie = await h.signIn(owner);
    for (const q of [
      "?cursor=abc",
      "?cursor=-1",
      "?cursor=1e3",
      "?action=DROP%20TABLE",
      `?action=${"a".repeat(65)}`,
    ]) {
      expect((await page(cookie, owner.teamId, q)).status).toBe(400);
    }
  });

  it("is for owners and admins: member and viewer get 403, another team 404", async () => {
    const owner = await h.user();
    const admin = await h.user({ team: owner.team, role: "admin" });
    const member = await h.user({ team: owner.team, role: "member" });
    const viewer = await h.user({ team: owner.team, role: "viewer" });
    const outsider = await h.user();
    expect((await page(await h.signIn(admin), owner.teamId)).status).toBe(200);
    expect((await page(await h.signIn(member), owner.teamId)).status).toBe(403);
    expect((await page(await h.signIn(viewer), owner.teamId)).status).toBe(403);
    expect((await page(await h.signIn(outsider), owner.teamId)).status).toBe(404);
    expect((await page(await h.signIn(owner), "no-such-team")).status).toBe(404);
    expect((await h.json("GET", `/api/teams/${owner.teamId}/audit-events`)).status).toBe(401);
  });

  it("is not reachable with a PAT", async () => {
    const owner = await h.user();
    const { token } = await h.pat(owner);
    expect((await h.json("GET", `/api/teams/${owner.teamId}/audit-events`, { token })).status).toBe(403);
    expect((await h.json("GET", "/api/v1/mogplex/audit-events", { token })).status).toBe(404);
  });

  it("shows no other team's rows", async () => {
    const a = await h.user();
    const b = await h.user();
    await seed(b, 3, "test.b_only");
    const r = await page(await h.signIn(a), a.teamId, "?action=test.b_only");
    expect(r.status).toBe(200);
    expect(r.body.events).toEqual([]);
  });
});
