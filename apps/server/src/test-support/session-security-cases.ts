// Shared security cases for one session route, generated from its entry in the contract's session table:
// no session, a PAT instead of a session, a team the caller is not in, a role below the declared minimum,
// and a mutation without an Origin. Each case only registers where the table says it applies.
import {
  ErrorBody,
  honoPath,
  type Role,
  SESSION_ROUTES,
  type SessionRouteName,
  type SessionRouteSpec,
} from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, type TestUser } from "./harness.js";

const BELOW: Record<Role, Role | null> = { owner: "admin", admin: "member", member: "viewer", viewer: null };

/** A concrete URL for the route: the caller's team in {teamId}, placeholders elsewhere (checks come first). */
function urlFor(spec: SessionRouteSpec, teamId: string): string {
  return honoPath(spec.path)
    .replace(":teamId", teamId)
    .replace(/:(\w+)/g, (_m, name: string) => `${name}-placeholder`);
}

function expectError(r: { status: number; body: unknown; res: Response }, status: number, message: RegExp) {
  expect({ status: r.status, body: r.body }).toMatchObject({ status, body: { ok: false } });
  const err = ErrorBody.parse(r.body).error;
  expect(err.message).toMatch(message);
  expect(err.requestId).toBe(r.res.headers.get("x-request-id"));
}

export function sessionSecuritySuite(name: SessionRouteName): void {
  const spec: SessionRouteSpec = SESSION_ROUTES[name];
  const method = spec.method.toUpperCase();
  const lower = spec.role ? BELOW[spec.role] : null;

  describe(`session security: ${method} ${spec.path} (${name})`, () => {
    let h: Harness;
    let a: TestUser; // team A owner: the caller
    let aCookie: string;
    let b: TestUser; // team B owner: the team the caller is not in

    beforeAll(async () => {
      h = await createHarness();
      a = await h.user();
      b = await h.user();
      aCookie = await h.signIn(a);
    });
    afterAll(async () => {
      await h?.close();
    });

    const send = (teamId: string, o: { cookie?: string; token?: string; headers?: Record<string, string> }) =>
      h.json(method, urlFor(spec, teamId), { ...o, body: spec.method === "get" ? undefined : {} });

    if (spec.auth === "session") {
      it("401 without a session", async () => {
        expectError(await send(a.teamId, {}), 401, /^Sign in required$/);
      });

      it("403 for a personal access token (Bearer mog_…) instead of a session", async () => {
        const pat = await h.pat(a);
        expect(pat.token).toMatch(/^mog_/);
        expectError(
          await send(a.teamId, { token: pat.token }),
          403,
          /personal access tokens are not accepted/,
        );
      });
    } else {
      it("is reachable without a session (declared auth: none)", async () => {
        const r = await send(a.teamId, {});
        expect(r.status).not.toBe(401);
      });
    }

    if (spec.team === "path") {
      it("404 for a team the caller is not in (named in the path)", async () => {
        expectError(await send(b.teamId, { cookie: aCookie }), 404, /^Team not found$/);
      });
    }
    if (spec.team === "header") {
      it("404 for a team the caller is not in (X-Mogplex-Team)", async () => {
        const r = await send(a.teamId, { cookie: aCookie, headers: { "x-mogplex-team": b.teamId } });
        expectError(r, 404, /^Team not found$/);
      });
    }

    if (spec.role && lower) {
      it(`403 for a ${lower} (needs ${spec.role})`, async () => {
        const low = await h.user({ team: a.team, role: lower });
        const r = await send(a.teamId, {
          cookie: await h.signIn(low),
          headers: spec.team === "header" ? { "x-mogplex-team": a.teamId } : {},
        });
        expectError(r, 403, new RegExp(`^This action needs the ${spec.role} role or higher$`));
      });
    }

    if (spec.csrf === "origin") {
      it("403 for a mutation without an Origin (and no Sec-Fetch-Site: same-origin)", async () => {
        const r = await h.json(method, urlFor(spec, a.teamId), {
          cookie: spec.auth === "session" ? aCookie : undefined,
          origin: null,
          body: {},
        });
        expectError(r, 403, /^Request refused: no Origin header/);
      });
    }
  });
}
