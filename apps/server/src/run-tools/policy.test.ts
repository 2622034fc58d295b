// The team's run tool policy (both databases): owners and admins set it in a session, members and viewers
// cannot, it is audited, and run creation refuses a tool outside it with 400 naming the tool.
import type { RunToolsPolicy } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actor, dataOf, type Env, errorOf, ROOMY_BUDGETS, startRun } from "../runs/test-support/api.js";
import { createHarness, type Harness, type TestUser } from "../test-support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ env: ROOMY_BUDGETS });
});
afterAll(() => h?.close());

const path = (u: TestUser) => `/api/teams/${u.teamId}/run-tools-policy`;

describe("run tool policy (session routes)", () => {
  it("owners and admins set it (audited), members and viewers cannot, and runs outside it are refused", async () => {
    const a = await actor(h);
    const owner = await h.signIn(a.user);
    const admin = await h.signIn(await h.user({ team: a.user.team, role: "admin" }));
    const initial = await h.json<Env<RunToolsPolicy>>("GET", path(a.user), { cookie: owner });
    expect(initial.status).toBe(200);
    expect(dataOf(initial.body)).toEqual({ tools: null });

    const set = await h.json<Env<RunToolsPolicy>>("PATCH", path(a.user), {
      cookie: admin,
      body: { tools: ["everything__echo", "rest:crm", "everything__echo"] },
    });
    expect(set.status).toBe(200);
    expect(dataOf(set.body)).toEqual({ tools: ["everything__echo", "rest:crm"] });
    const audit = await h.s.db.db
      .selectFrom("audit_events")
      .select(["action", "payload"])
      .where("team_id", "=", a.user.teamId)
      .where("action", "=", "team.run_tools_policy_updated")
      .execute();
    expect(audit).toHaveLength(1);
    expect(String(audit[0]?.payload)).toContain("rest:crm");

    for (const role of ["member", "viewer"] as const) {
      const c = await h.signIn(await h.user({ team: a.user.team, role }));
      expect((await h.json("GET", path(a.user), { cookie: c })).status).toBe(403);
      expect((await h.json("PATCH", path(a.user), { cookie: c, body: { tools: null } })).status).toBe(403);
    }
    const bad = await h.json<Env<unknown>>("PATCH", path(a.user), {
      cookie: owner,
      body: { tools: ["x y"] },
    });
    expect(bad.status).toBe(400);

    // Not in the policy: refused before any server is looked at.
    const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "p", tools: ["files__read"] });
    expect(r.status).toBe(400);
    expect(errorOf(r.body).message).toBe("tools: files__read: the team's run tool policy does not allow it");

    const lifted = await h.json<Env<RunToolsPolicy>>("PATCH", path(a.user), {
      cookie: owner,
      body: { tools: null },
    });
    expect(dataOf(lifted.body)).toEqual({ tools: null });
    const r2 = await startRun(h, a.token, { repoId: a.repoId, prompt: "p", tools: ["files__read"] });
    expect(r2.status).toBe(400);
    expect(errorOf(r2.body).message).toContain("no enabled MCP server named files");
  });
});
