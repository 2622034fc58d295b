import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

describe("smoke", () => {
  it("creates a run through a PAT made on the session route", async () => {
    const u = await h.user();
    const cookie = await h.signIn(u);
    const created = await h.json<{ token: string }>("POST", "/api/settings/api-keys", {
      cookie,
      body: { name: "cli" },
    });
    expect(created.status).toBe(201);
    const repoId = await h.repo(u.teamId);
    const r = await h.json<{ ok: boolean; data: { run: { status: string } } }>(
      "POST",
      "/api/v1/mogplex/runs",
      {
        token: created.body.token,
        body: { repoId, prompt: "hello" },
        headers: { "idempotency-key": "k1" },
      },
    );
    expect(r.status).toBe(202);
    expect(r.body.data.run.status).toBe("pending");
  });
});
