import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, FakeClock, type Harness } from "../test-support/harness.js";
import { IDEMPOTENCY_KEEP_MS, purgeExpired } from "./jobs.js";

const clock = new FakeClock();
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ clock });
});
afterAll(async () => {
  await h.close();
});

describe("retention", () => {
  it("purges expired setup tokens, old idempotency keys and expired sessions, and keeps live ones", async () => {
    const db = h.s.db.db;
    const live = await h.s.identity.issueSetupToken();
    expect(live).toMatch(/^setup_/);
    const u = await h.user();
    const cookie = await h.signIn(u);
    const token = await h.pat(u);
    const repoId = await h.repo(u.teamId);
    const created = await h.json("POST", "/api/v1/mogplex/runs", {
      token: token.token,
      body: { repoId, prompt: "x" },
      headers: { "idempotency-key": "keep-me" },
    });
    expect(created.status).toBe(202);

    let counts = await purgeExpired(db, h.dialect, clock.now());
    expect(counts).toMatchObject({ setupTokens: 0, idempotencyKeys: 0, sessions: 0 });
    expect((await db.selectFrom("idempotency_keys").selectAll().execute()).length).toBe(1);

    counts = await purgeExpired(db, h.dialect, clock.now() + IDEMPOTENCY_KEEP_MS + 1);
    expect(counts.setupTokens).toBe(1);
    expect(counts.idempotencyKeys).toBe(1);
    expect(counts.sessions).toBeGreaterThanOrEqual(1);
    expect(await db.selectFrom("setup_tokens").selectAll().execute()).toEqual([]);
    const me = await h.json("GET", "/api/me", { cookie });
    expect(me.status).toBe(401);
  });
});
