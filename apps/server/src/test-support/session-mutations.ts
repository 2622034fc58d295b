// Every browser mutation of the app, each with a request that would succeed, for the Origin / Sec-Fetch-Site
// security cases (session-origin.test.ts): one fixture per mutation of the contract's session-route table
// (setup and invitation sign-up included), plus Better Auth's own POSTs, which are not in the table.
import { createHash, randomBytes } from "node:crypto";
import { honoPath, SESSION_ROUTES, type SessionRouteName, type SessionRouteSpec } from "@mogplex/contract";
import { llmMutationFixtures } from "../llm/test-support/fixtures.js";
import { settingsMutationFixtures } from "../models/test-support/fixtures.js";
import { oauthMutationFixtures } from "../oauth/test-support/fixtures.js";
import { walletMutationFixtures } from "../registry/wallet/test-support/fixtures.js";
import { registryMutationFixtures } from "../registry/web/test-support/fixtures.js";
import { runToolsMutationFixtures } from "../run-tools/test-support/fixtures.js";
import type { Harness, TestUser } from "./harness.js";
import { uniq } from "./harness.js";

/** Every mutation of the session-route table: each must have a fixture below (the type checks it). */
export type SessionMutationName = {
  [N in SessionRouteName]: (typeof SESSION_ROUTES)[N]["method"] extends "get" ? never : N;
}[SessionRouteName];

interface Fixture {
  /** Status of the request when its Origin is acceptable (a 400 where the handler's own check answers). */
  ok: number;
  prepare(): Promise<MutationRequest>;
}

/** One request, prepared fresh (its own token, member, device code…) so every attempt could succeed. */
export interface MutationRequest {
  path: string;
  body?: unknown;
  cookie?: string;
  headers?: Record<string, string>;
}

export interface MutationCase {
  method: "POST" | "PATCH" | "DELETE";
  /** The route as registered on the Hono app; the completeness check compares these. */
  pattern: string;
  label: string;
  /** Status of the request when its Origin is acceptable (a 400 where the handler's own check answers). */
  ok: number;
  prepare(): Promise<MutationRequest>;
}

const STRONG = "correct horse battery staple 42";
const ctx = { actorType: "system" as const, actorId: null };

export function sessionMutationCases(
  h: Harness,
  owner: TestUser,
  ownerCookie: string,
  repoId: string,
): MutationCase[] {
  const team = `/api/teams/${owner.teamId}`;
  const email = () => `${uniq("o")}@example.test`;
  const connection = async () =>
    (
      await h.s.connections.create(
        owner.teamId,
        owner.userId,
        {
          kind: "mcp_server",
          name: uniq("c").toLowerCase().slice(0, 30),
          url: "https://mcp.example.test/mcp",
        },
        ctx,
      )
    ).id;
  const member = () => h.user({ team: owner.team, role: "member" });
  const invitation = async (to = email()) =>
    h.s.teams.invite({ userId: owner.userId, teamId: owner.teamId, role: "owner" }, to, "member", ctx);
  const gatewayKey = async () =>
    (await h.s.gateway.keys.create(owner.userId, owner.teamId, { name: uniq("k") }, ctx)).id;
  const deviceCode = async () => {
    const started = await h.s.cliAuth.startDevice({ ip: null, userAgent: null });
    return started.userCode;
  };
  const cliConsent = () => {
    const verifier = randomBytes(32).toString("base64url");
    return {
      callback: "http://127.0.0.1:43123/callback",
      nonce: randomBytes(16).toString("hex"),
      codeChallenge: createHash("sha256").update(verifier).digest("base64url"),
      codeChallengeMethod: "S256",
    };
  };
  const freshUser = async () => {
    const u = await h.user();
    return { u, cookie: await h.signIn(u) };
  };
  const c = (
    method: MutationCase["method"],
    pattern: string,
    ok: number,
    prepare: () => Promise<MutationRequest>,
    label = `${method} ${pattern}`,
  ): MutationCase => ({ method, pattern, label, ok, prepare });
  const f = (ok: number, prepare: () => Promise<MutationRequest>): Fixture => ({ ok, prepare });

  const browserOnly: MutationCase[] = [
    c(
      "POST",
      "/api/auth/*",
      200,
      async () => ({
        path: "/api/auth/sign-in/email",
        body: { email: owner.email, password: owner.password },
      }),
      "POST /api/auth/sign-in/email",
    ),
    c(
      "POST",
      "/api/auth/*",
      200,
      async () => ({ path: "/api/auth/sign-out", body: {}, cookie: await h.signIn(owner) }),
      "POST /api/auth/sign-out",
    ),
    c(
      "POST",
      "/api/auth/*",
      200,
      async () => {
        const { u, cookie } = await freshUser();
        return {
          path: "/api/auth/change-password",
          body: { currentPassword: u.password, newPassword: STRONG },
          cookie,
        };
      },
      "POST /api/auth/change-password",
    ),
  ];
  const fixtures: Record<SessionMutationName, Fixture> = {
    // Setup itself is tested in identity/setup.test.ts; here an empty body proves the handler was reached.
    completeSetup: f(400, async () => ({ path: "/api/setup", body: {} })),
    invitationSignUp: f(201, async () => ({
      path: "/api/invitations/sign-up",
      body: { token: (await invitation()).token, name: "New Person", password: STRONG },
    })),
    acceptInvitation: f(200, async () => {
      const { u, cookie } = await freshUser();
      return { path: "/api/invitations/accept", body: { token: (await invitation(u.email)).token }, cookie };
    }),
    revokeMySession: f(200, async () => {
      const other = await h.s.identity.getSession(new Headers({ cookie: await h.signIn(owner) }));
      return { path: `/api/me/sessions/${other?.sessionId}`, cookie: ownerCookie };
    }),
    deleteMeByPost: f(200, async () => {
      const { u, cookie } = await freshUser();
      return { path: "/api/v1/users/me/delete", body: { confirm: u.email }, cookie };
    }),
    deleteMe: f(200, async () => {
      const { u, cookie } = await freshUser();
      return { path: "/api/v1/users/me", body: { confirm: u.email }, cookie };
    }),
    createApiKey: f(201, async () => ({
      path: "/api/settings/api-keys",
      body: { name: uniq("k") },
      cookie: ownerCookie,
    })),
    revokeApiKey: f(200, async () => ({
      path: `/api/settings/api-keys/${(await h.pat(owner)).id}`,
      cookie: ownerCookie,
    })),
    changeMemberRole: f(200, async () => ({
      path: `${team}/members/${(await member()).userId}`,
      body: { role: "viewer" },
      cookie: ownerCookie,
    })),
    removeMember: f(200, async () => ({
      path: `${team}/members/${(await member()).userId}`,
      cookie: ownerCookie,
    })),
    createInvitation: f(201, async () => ({
      path: `${team}/invitations`,
      body: { email: email(), role: "member" },
      cookie: ownerCookie,
    })),
    revokeInvitation: f(200, async () => ({
      path: `${team}/invitations/${(await invitation()).id}`,
      cookie: ownerCookie,
    })),
    createConnection: f(201, async () => ({
      path: `${team}/connections`,
      body: { kind: "rest", name: uniq("r").toLowerCase().slice(0, 30), url: "https://api.example.test" },
      cookie: ownerCookie,
    })),
    updateConnection: f(200, async () => ({
      path: `${team}/connections/${await connection()}`,
      body: { enabled: false },
      cookie: ownerCookie,
    })),
    deleteConnection: f(200, async () => ({
      path: `${team}/connections/${await connection()}`,
      cookie: ownerCookie,
    })),
    excludeConnection: f(200, async () => ({
      path: `${team}/repos/${repoId}/exclusions/${await connection()}`,
      cookie: ownerCookie,
    })),
    includeConnection: f(200, async () => {
      const id = await connection();
      await h.s.connections.setExcluded(owner.teamId, repoId, id, true, ctx);
      return { path: `${team}/repos/${repoId}/exclusions/${id}`, cookie: ownerCookie };
    }),
    createGatewayKey: f(201, async () => ({
      path: "/api/settings/gateway-keys",
      body: { name: uniq("g") },
      cookie: ownerCookie,
    })),
    revokeGatewayKey: f(200, async () => ({
      path: `/api/settings/gateway-keys/${await gatewayKey()}`,
      cookie: ownerCookie,
    })),
    rotateGatewayKey: f(200, async () => ({
      path: `/api/settings/gateway-keys/${await gatewayKey()}/rotate`,
      cookie: ownerCookie,
    })),
    cliConsent: f(200, async () => ({
      path: "/api/cli-auth/consent",
      body: cliConsent(),
      cookie: ownerCookie,
    })),
    cliDeny: f(200, async () => {
      const { callback, nonce } = cliConsent();
      return { path: "/api/cli-auth/deny", body: { callback, nonce }, cookie: ownerCookie };
    }),
    approveDevice: f(200, async () => ({
      path: "/api/cli-auth/device/approve",
      body: { userCode: await deviceCode() },
      cookie: ownerCookie,
    })),
    denyDevice: f(200, async () => ({
      path: "/api/cli-auth/device/deny",
      body: { userCode: await deviceCode() },
      cookie: ownerCookie,
    })),
    webAddRepo: f(201, async () => ({
      path: "/api/web/repos",
      body: { fullName: `acme/${uniq("r")}`, cloneUrl: "https://git.example.test/acme/r.git" },
      cookie: ownerCookie,
    })),
    webStartRun: f(202, async () => ({
      path: "/api/web/runs",
      body: { repoId, prompt: "origin check" },
      headers: { "idempotency-key": uniq("k") },
      cookie: ownerCookie,
    })),
    webCancelRun: f(200, async () => {
      const run = await h.json<{ data: { run: { id: string } } }>("POST", "/api/v1/mogplex/runs", {
        token: (await h.pat(owner)).token,
        body: { repoId, prompt: "to cancel" },
        headers: { "idempotency-key": uniq("k") },
      });
      return { path: `/api/web/runs/${run.body.data.run.id}/cancel`, body: {}, cookie: ownerCookie };
    }),
    ...walletMutationFixtures(h, owner, ownerCookie),
    ...registryMutationFixtures(h, owner, ownerCookie),
    ...oauthMutationFixtures(h, owner, ownerCookie),
    ...settingsMutationFixtures(h, owner, ownerCookie, repoId),
    ...runToolsMutationFixtures(h, owner, ownerCookie),
    ...llmMutationFixtures(h, owner, ownerCookie),
  };
  return [
    ...browserOnly,
    ...(Object.entries(fixtures) as Array<[SessionMutationName, Fixture]>).map(([name, fx]) => {
      const spec: SessionRouteSpec = SESSION_ROUTES[name];
      const method = spec.method.toUpperCase() as MutationCase["method"];
      const pattern = honoPath(spec.path);
      return { method, pattern, label: `${method} ${pattern} (${name})`, ok: fx.ok, prepare: fx.prepare };
    }),
  ];
}
