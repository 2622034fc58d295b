// Every route the app registers outside the public API is declared in the contract's session-route table
// (or is on test-support/route-inventory.ts's short list, with the reason it is not a session route), and every table entry exists.

import { honoPath, SESSION_ROUTES, type SessionRouteSpec } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatUserCode } from "../cli-auth/validate.js";
import { createHarness, type Harness } from "../test-support/harness.js";
import { NOT_SESSION_ROUTES, registeredRoutes } from "../test-support/route-inventory.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const declared = () =>
  new Set(
    (Object.values(SESSION_ROUTES) as SessionRouteSpec[]).map(
      (r) => `${r.method.toUpperCase()} ${honoPath(r.path)}`,
    ),
  );

function registered(): Set<string> {
  return new Set(
    registeredRoutes(h)
      .filter((r) => !NOT_SESSION_ROUTES.some((x) => x.match(r.method, r.path)))
      .map((r) => `${r.method} ${r.path}`),
  );
}

describe("the session-route table", () => {
  it("declares every non-public route the app registers", () => {
    const table = declared();
    expect([...registered()].filter((r) => !table.has(r)).sort(), "routes missing from the table").toEqual(
      [],
    );
  });

  it("has no entry the app does not register", () => {
    const app = registered();
    expect([...declared()].filter((r) => !app.has(r)).sort(), "table entries without a route").toEqual([]);
    expect(app.size).toBe(Object.keys(SESSION_ROUTES).length);
  });

  it("applies the Origin rule to every mutation and declares a role wherever it resolves a team", () => {
    for (const [name, r] of Object.entries(SESSION_ROUTES) as Array<[string, SessionRouteSpec]>) {
      expect(r.csrf, name).toBe(r.method === "get" ? "none" : "origin");
      if (r.team !== "none") expect(r.role, name).toBeDefined();
      if (r.auth === "none") expect(r.team, name).toBe("none");
    }
  });

  it("answers in the response shape the table declares (the shapes the web app imports)", async () => {
    const owner = await h.user();
    const cookie = await h.signIn(owner);
    const member = await h.user({ team: owner.team, role: "member" });
    await h.s.teams.invite(
      { userId: owner.userId, teamId: owner.teamId, role: "owner" },
      "someone@example.test",
      "member",
      { actorType: "system", actorId: null },
    );
    const device = await h.s.cliAuth.startDevice({ ip: "127.0.0.1", userAgent: "test" });
    const params: Record<string, string> = {
      teamId: owner.teamId,
      userCode: formatUserCode(device.userCode),
      userId: member.userId,
    };
    let checked = 0;
    for (const [name, r] of Object.entries(SESSION_ROUTES) as Array<[string, SessionRouteSpec]>) {
      if (!r.response) continue;
      const path = r.path.replace(/\{(\w+)\}/g, (_m, k: string) => params[k] ?? k);
      const res = await h.json(r.method.toUpperCase(), path, { cookie });
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(r.successStatus ?? 200);
      const parsed = r.response.safeParse(res.body);
      expect(parsed.success, `${name}: ${parsed.error?.message}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });
});
