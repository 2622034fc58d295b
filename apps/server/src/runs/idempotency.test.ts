// Idempotency-Key on POST /runs: replays, conflicts, canonical body hashing, per-user keys and concurrency.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";
import { actor, dataOf, errorOf, startRun } from "./test-support/api.js";

let h: Harness;
beforeAll(async () => {
  // Tight budgets make "no budget spent" observable: a replay that counted would trip the minute rule.
  h = await createHarness({
    env: { MOGPLEX_RUN_START_LIMITS: "2/1m,100/1h,100/1d", OPENAI_API_KEY: "sk-test-unused" },
  });
});
afterAll(async () => {
  await h.close();
});

async function runsOf(userId: string) {
  return h.s.db.db.selectFrom("runs").select("id").where("user_id", "=", userId).execute();
}

async function keysOf(userId: string) {
  return h.s.db.db.selectFrom("idempotency_keys").selectAll().where("user_id", "=", userId).execute();
}

describe("Idempotency-Key", () => {
  it("replays the same key and body as the original run, without a second run or any budget", async () => {
    const a = await actor(h);
    const body = { repoId: a.repoId, prompt: "ship it", model: "openai/gpt-x" };
    const first = await startRun(h, a.token, body, "same-key");
    expect(first.status).toBe(202);
    const original = dataOf(first.body);
    expect(original.replayed).toBe(false);

    for (let i = 0; i < 3; i++) {
      const again = await startRun(h, a.token, body, "same-key");
      expect(again.status).toBe(202);
      expect(dataOf(again.body)).toEqual({ run: original.run, replayed: true });
    }
    expect(await runsOf(a.user.userId)).toHaveLength(1);
    const created = await h.s.db.db
      .selectFrom("audit_events")
      .select("id")
      .where("action", "=", "run.created")
      .where("actor_id", "=", a.user.userId)
      .execute();
    expect(created).toHaveLength(1);

    // Budget is 2 a minute: the replays above spent none of it, so exactly one more start fits.
    expect((await startRun(h, a.token, { ...body, prompt: "second" })).status).toBe(202);
    const third = await startRun(h, a.token, { ...body, prompt: "third" });
    expect(third.status).toBe(429);
    // Even with the budget spent, a replay still answers with the original.
    const late = await startRun(h, a.token, body, "same-key");
    expect(late.status).toBe(202);
    expect(dataOf(late.body).run.id).toBe(original.run.id);
  });

  it("answers 409 IDEMPOTENCY_CONFLICT for the same key with a different body", async () => {
    const a = await actor(h);
    expect((await startRun(h, a.token, { repoId: a.repoId, prompt: "one" }, "k-conflict")).status).toBe(202);
    const clash = await startRun(h, a.token, { repoId: a.repoId, prompt: "two" }, "k-conflict");
    expect(clash.status).toBe(409);
    expect(errorOf(clash.body).code).toBe("IDEMPOTENCY_CONFLICT");
    // An extra field is a different request too, even one whose value is the default.
    const extra = await startRun(
      h,
      a.token,
      { repoId: a.repoId, prompt: "one", harness: "mogplex" },
      "k-conflict",
    );
    expect(extra.status).toBe(409);
    expect(await runsOf(a.user.userId)).toHaveLength(1);
  });

  it("hashes the canonical body, so key order and whitespace do not matter", async () => {
    const a = await actor(h);
    const first = await startRun(
      h,
      a.token,
      { repoId: a.repoId, prompt: "order", createBranch: false, baseBranch: "main" },
      "k-order",
    );
    expect(first.status).toBe(202);
    const raw = `{ "baseBranch":"main",\n  "createBranch": false, "prompt": "order", "repoId": "${a.repoId}" }`;
    const again = await h.json("POST", "/api/v1/mogplex/runs", {
      token: a.token,
      rawBody: raw,
      headers: { "idempotency-key": "k-order", "content-type": "application/json" },
    });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({
      ok: true,
      data: { replayed: true, run: { id: dataOf(first.body).run.id } },
    });
  });

  it("keeps keys per user: another user may use the same key for their own run", async () => {
    const a = await actor(h);
    const b = await actor(h);
    const ra = await startRun(h, a.token, { repoId: a.repoId, prompt: "mine" }, "shared-key");
    const rb = await startRun(h, b.token, { repoId: b.repoId, prompt: "mine" }, "shared-key");
    expect(ra.status).toBe(202);
    expect(rb.status).toBe(202);
    expect(dataOf(rb.body).replayed).toBe(false);
    expect(dataOf(rb.body).run.id).not.toBe(dataOf(ra.body).run.id);
    expect(dataOf(rb.body).run.repoId).toBe(b.repoId);
  });

  it("shares one user's keys across that user's tokens", async () => {
    const a = await actor(h);
    const second = await h.pat(a.user, { name: "second" });
    const body = { repoId: a.repoId, prompt: "via two tokens" };
    const r1 = await startRun(h, a.token, body, "cross-token");
    const r2 = await startRun(h, second.token, body, "cross-token");
    expect(dataOf(r2.body)).toEqual({ run: dataOf(r1.body).run, replayed: true });
  });

  it("never replays a run of one team through the same user's token for another team", async () => {
    const a = await actor(h);
    const b = await actor(h);
    await h.s.db.db.transaction().execute((trx) =>
      h.s.teams.addMember(trx, b.user.teamId, a.user.userId, "member", {
        actorType: "system",
        actorId: null,
      }),
    );
    const inB = await h.s.tokens.create(
      a.user.userId,
      b.user.teamId,
      { name: "team b" },
      { actorType: "user", actorId: a.user.userId },
    );
    const body = { repoId: a.repoId, prompt: "team a only" };
    expect((await startRun(h, a.token, body, "k-teams")).status).toBe(202);
    const leak = await startRun(h, inB.token, body, "k-teams");
    expect(leak.status).toBe(409);
    expect(errorOf(leak.body).code).toBe("IDEMPOTENCY_CONFLICT");
    expect(JSON.stringify(leak.body)).not.toContain(a.repoId);
  });

  it("stores the key with a SHA-256 of the body, never the body itself", async () => {
    const a = await actor(h);
    await startRun(h, a.token, { repoId: a.repoId, prompt: "a secret-ish prompt" }, "k-stored");
    const [row] = await keysOf(a.user.userId);
    expect(row?.key).toBe("k-stored");
    expect(row?.request_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain("secret-ish");
  });

  it("creates exactly one run for 20 parallel requests with one key", async () => {
    const a = await actor(h);
    const body = { repoId: a.repoId, prompt: "race" };
    const all = await Promise.all(Array.from({ length: 20 }, () => startRun(h, a.token, body, "race-key")));
    expect(all.map((r) => r.status)).toEqual(Array(20).fill(202));
    const ids = new Set(all.map((r) => dataOf(r.body).run.id));
    expect(ids.size).toBe(1);
    expect(all.filter((r) => dataOf(r.body).replayed === false)).toHaveLength(1);
    expect(await runsOf(a.user.userId)).toHaveLength(1);
    expect(await keysOf(a.user.userId)).toHaveLength(1);
  });

  it("answers parallel requests with one key but different bodies with one run and 409s for the rest", async () => {
    const a = await actor(h);
    const all = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        startRun(h, a.token, { repoId: a.repoId, prompt: `p${i}` }, "mixed"),
      ),
    );
    const statuses = all.map((r) => r.status).sort();
    expect(statuses).toEqual([202, 409, 409, 409, 409, 409, 409, 409]);
    expect(await runsOf(a.user.userId)).toHaveLength(1);
  });
});
