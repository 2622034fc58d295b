// POST /api/web/runs: a signed-in member starts a run from the web app under the public API's rules
// (Idempotency-Key, contract body, role, per-user budgets and request limit, audit), with source "web".
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Created, type Env, errorOf, startRun } from "../runs/test-support/api.js";
import { createHarness, FakeClock, type Harness, type TestUser, uniq } from "../test-support/harness.js";

const PATH = "/api/web/runs";
const MINUTE = 60_000;

let h: Harness;
const clock = new FakeClock();

beforeAll(async () => {
  // A tight minute budget so the 429 is a few requests away; the hour and day rules stay out of the way.
  h = await createHarness({ clock, env: { MOGPLEX_RUN_START_LIMITS: "3/1m,100/1h,100/1d" } });
});
afterAll(async () => {
  await h.close();
});

interface Member {
  user: TestUser;
  cookie: string;
  repoId: string;
}

/** A fresh team (its owner holds a repo) and a signed-in teammate with `role`; each test has its own budget. */
async function member(role: "owner" | "member" | "viewer" = "member"): Promise<Member> {
  const owner = await h.user();
  const repoId = await h.repo(owner.teamId);
  const user = role === "owner" ? owner : await h.user({ team: owner.team, role });
  return { user, cookie: await h.signIn(user), repoId };
}

function start(
  m: Member,
  body: unknown,
  key: string | null = uniq("web-"),
  o: { origin?: string | null; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...o.headers };
  if (key !== null) headers["idempotency-key"] = key;
  return h.json<Env<Created>>("POST", PATH, { cookie: m.cookie, body, headers, origin: o.origin });
}

const okData = <T>(b: Env<T>): T => {
  if (!b.ok) throw new Error(`expected success, got ${JSON.stringify(b.error)}`);
  return b.data;
};

async function runsOf(userId: string) {
  return h.s.db.db.selectFrom("runs").selectAll().where("user_id", "=", userId).execute();
}

describe("POST /api/web/runs", () => {
  it("starts a run for a member with source web, 202 like the API, and audits it as a session start", async () => {
    const m = await member("member");
    const r = await start(m, { repoId: m.repoId, prompt: "add a health check", baseBranch: "main" });
    expect(r.status).toBe(202);
    const { run, replayed } = okData(r.body);
    expect(replayed).toBe(false);
    expect(run).toMatchObject({ repoId: m.repoId, source: "web", status: "pending" });
    expect(run.branch.base).toBe("main");

    const rows = await runsOf(m.user.userId);
    expect(rows.map((x) => [x.id, x.source, x.team_id, x.prompt])).toEqual([
      [run.id, "web", m.user.teamId, "add a health check"],
    ]);
    const audits = await h.s.db.db
      .selectFrom("audit_events")
      .selectAll()
      .where("action", "=", "run.created")
      .where("target_id", "=", run.id)
      .execute();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      team_id: m.user.teamId,
      actor_id: m.user.userId,
      actor_type: "user",
      auth_source: "session",
    });
    expect(JSON.parse(audits[0]?.payload ?? "{}")).toMatchObject({ repoId: m.repoId, source: "web" });

    // The web list and detail show it straight away.
    const list = await h.json<Env<{ runs: Array<{ id: string; source: string }> }>>("GET", PATH, {
      cookie: m.cookie,
    });
    expect(okData(list.body).runs).toEqual([expect.objectContaining({ id: run.id, source: "web" })]);
  });

  it("replays the same Idempotency-Key and body as the original run, with no second run or audit", async () => {
    const m = await member();
    const body = { repoId: m.repoId, prompt: "retry me" };
    const first = await start(m, body, "same-web-key");
    expect(first.status).toBe(202);
    const original = okData(first.body);
    for (let i = 0; i < 2; i++) {
      const again = await start(m, body, "same-web-key");
      expect(again.status).toBe(202);
      expect(okData(again.body)).toEqual({ run: original.run, replayed: true });
    }
    expect(await runsOf(m.user.userId)).toHaveLength(1);
    const audits = await h.s.db.db
      .selectFrom("audit_events")
      .select("id")
      .where("action", "=", "run.created")
      .where("actor_id", "=", m.user.userId)
      .execute();
    expect(audits).toHaveLength(1);
  });

  it("answers 409 IDEMPOTENCY_CONFLICT for the same key with a different body, as the API does", async () => {
    const m = await member();
    expect((await start(m, { repoId: m.repoId, prompt: "one" }, "web-clash")).status).toBe(202);
    const clash = await start(m, { repoId: m.repoId, prompt: "two" }, "web-clash");
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ ok: false, error: { code: "IDEMPOTENCY_CONFLICT" } });
    expect(await runsOf(m.user.userId)).toHaveLength(1);
  });

  it("requires an Idempotency-Key (present, not blank, at most 200 characters)", async () => {
    const m = await member();
    const body = { repoId: m.repoId, prompt: "keyless" };
    for (const key of [null, "   ", "k".repeat(201)]) {
      const r = await start(m, body, key);
      expect(r.status, String(key?.length)).toBe(400);
      expect(errorOf(r.body).code).toBe("BAD_REQUEST");
      expect(errorOf(r.body).message).toMatch(/^Idempotency-Key /);
    }
    expect((await start(m, body, "k".repeat(200))).status).toBe(202);
    expect(await runsOf(m.user.userId)).toHaveLength(1);
  });

  it("refuses an invalid body with the error envelope, naming the problem", async () => {
    const m = await member();
    const cases: Array<[unknown, RegExp]> = [
      [{ repoId: m.repoId, prompt: "" }, /prompt is required/],
      [{ repoId: m.repoId }, /^prompt: /],
      [{ repoId: m.repoId, prompt: "x", model: "no-slash" }, /model must look like provider\/model-id/],
      [{ repoId: m.repoId, prompt: "x", colour: "blue" }, /Unknown field: colour/],
      [["not", "an", "object"], /expected object/],
    ];
    for (const [body, message] of cases) {
      const r = await start(m, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body).toMatchObject({ ok: false, error: { code: "BAD_REQUEST" } });
      expect(errorOf(r.body).message).toMatch(message);
      expect(errorOf(r.body).requestId).toMatch(/^req_/);
    }
    const empty = await h.json<Env<Created>>("POST", PATH, {
      cookie: m.cookie,
      headers: { "idempotency-key": uniq() },
    });
    expect(empty.status).toBe(400);
    expect(errorOf(empty.body).message).toBe("A JSON request body is required");
    expect(await runsOf(m.user.userId)).toHaveLength(0);
  });

  it("refuses viewers with 403, and PATs (a session route) with 403", async () => {
    const viewer = await member("viewer");
    const r = await start(viewer, { repoId: viewer.repoId, prompt: "let me" });
    expect(r.status).toBe(403);
    expect(errorOf(r.body).code).toBe("FORBIDDEN");
    expect(await runsOf(viewer.user.userId)).toHaveLength(0);

    const owner = await member("owner");
    const { token } = await h.pat(owner.user);
    const viaToken = await h.request("POST", PATH, {
      token,
      body: { repoId: owner.repoId, prompt: "x" },
      headers: { "idempotency-key": uniq() },
    });
    expect(viaToken.status).toBe(403);
    expect(await runsOf(owner.user.userId)).toHaveLength(0);
  });

  it("answers 404 for another team's repo, and for a team the user is not in", async () => {
    const m = await member();
    const stranger = await member("owner");
    const theirs = await start(m, { repoId: stranger.repoId, prompt: "borrow it" });
    expect(theirs.status).toBe(404);
    expect(errorOf(theirs.body).code).toBe("NOT_FOUND");
    const foreignTeam = await start(m, { repoId: stranger.repoId, prompt: "borrow it" }, uniq(), {
      headers: { "x-mogplex-team": stranger.user.teamId },
    });
    expect(foreignTeam.status).toBe(404);
    expect(await runsOf(m.user.userId)).toHaveLength(0);
    expect(await runsOf(stranger.user.userId)).toHaveLength(0);
  });

  it("refuses a cross-origin request (forged form or fetch) before anything happens", async () => {
    const m = await member();
    const body = { repoId: m.repoId, prompt: "forged" };
    const forged = await start(m, body, uniq(), { origin: "https://evil.example" });
    expect(forged.status).toBe(403);
    expect(errorOf(forged.body).message).toMatch(/^Cross-origin request refused: only pages served from /);
    const crossSite = await start(m, body, uniq(), {
      origin: null,
      headers: { "sec-fetch-site": "cross-site" },
    });
    expect(crossSite.status).toBe(403);
    expect(await runsOf(m.user.userId)).toHaveLength(0);
    expect((await h.request("POST", PATH, { body, headers: { "idempotency-key": uniq() } })).status).toBe(
      401,
    );
  });

  it("spends the same per-user run-start budget as the API: 429 with Retry-After, then room again", async () => {
    const m = await member("owner");
    const { token } = await h.pat(m.user);
    expect((await startRun(h, token, { repoId: m.repoId, prompt: "api 1" })).status).toBe(202);
    clock.advance(10_000);
    expect((await startRun(h, token, { repoId: m.repoId, prompt: "api 2" })).status).toBe(202);
    expect((await start(m, { repoId: m.repoId, prompt: "web 3" })).status).toBe(202);
    const over = await start(m, { repoId: m.repoId, prompt: "web 4" });
    expect(over.status).toBe(429);
    expect(errorOf(over.body).code).toBe("RATE_LIMITED");
    // The first start (10 s ago) leaves the minute window first: 50 s from now.
    expect(over.res.headers.get("retry-after")).toBe("50");
    expect(errorOf(over.body).message).toContain("Retry after 50s");
    expect(await runsOf(m.user.userId)).toHaveLength(3);
    clock.advance(MINUTE - 10_000 + 1);
    expect((await start(m, { repoId: m.repoId, prompt: "web 4" })).status).toBe(202);
  });
});

describe("POST /api/web/runs request limit", () => {
  it("applies the per-principal request limit a token has (MOGPLEX_PAT_RATE_LIMIT), replays included", async () => {
    const tight = await createHarness({ env: { MOGPLEX_PAT_RATE_LIMIT: "3/60s" } });
    try {
      const owner = await tight.user();
      const repoId = await tight.repo(owner.teamId);
      const cookie = await tight.signIn(owner);
      const send = () =>
        tight.json<Env<Created>>("POST", PATH, {
          cookie,
          body: { repoId, prompt: "same" },
          headers: { "idempotency-key": "one-key" },
        });
      for (let i = 0; i < 3; i++) expect((await send()).status).toBe(202);
      const limited = await send();
      expect(limited.status).toBe(429);
      expect(errorOf(limited.body).code).toBe("RATE_LIMITED");
      expect(Number(limited.res.headers.get("retry-after"))).toBeGreaterThan(0);
      // The limit is per user: a teammate is unaffected.
      const mate = await tight.user({ team: owner.team, role: "member" });
      const mateCookie = await tight.signIn(mate);
      const theirs = await tight.json<Env<Created>>("POST", PATH, {
        cookie: mateCookie,
        body: { repoId, prompt: "mine" },
        headers: { "idempotency-key": "one-key" },
      });
      expect(theirs.status).toBe(202);
    } finally {
      await tight.close();
    }
  });
});
