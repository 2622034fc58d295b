// Every browser mutation of the app (session routes, Better Auth's POSTs, setup and invitation sign-up), each
// with a request that would succeed, for the Origin / Sec-Fetch-Site security cases (session-origin.test.ts).
import { createHash, randomBytes } from "node:crypto";
import type { Harness, TestUser } from "./harness.js";
import { uniq } from "./harness.js";

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

/**
 * Non-GET routes that are not browser-session mutations, so the Origin rules don't apply:
 * the PAT API (and the platform MCP server), the MCP gateway (its own Host/Origin rules), and the CLI's
 * unauthenticated OAuth-style token endpoints (no cookie is read, so there is nothing to forge).
 */
export const NOT_SESSION_MUTATIONS: ReadonlyArray<{
  match: (method: string, path: string) => boolean;
  why: string;
}> = [
  { match: (_m, p) => p.startsWith("/api/v1/mogplex/"), why: "public API: PAT only, cookies ignored" },
  {
    match: (_m, p) => p === "/mcp" || p.startsWith("/mcp/"),
    why: "MCP gateway: gateway keys, own Host/Origin rules",
  },
  {
    match: (m, p) =>
      m === "POST" &&
      ["/api/cli-auth/token", "/api/cli-auth/device/code", "/api/cli-auth/device/token"].includes(p),
    why: "CLI token endpoints: no cookie, the PKCE verifier or device code is the credential",
  },
];

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
  const invitation = async (to = email()) => h.s.teams.invite(owner.userId, owner.teamId, to, "member", ctx);
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

  return [
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
    // Setup itself is tested in identity/setup.test.ts; here an empty body proves the handler was reached.
    c("POST", "/api/setup", 400, async () => ({ path: "/api/setup", body: {} })),
    c("POST", "/api/invitations/sign-up", 201, async () => ({
      path: "/api/invitations/sign-up",
      body: { token: (await invitation()).token, name: "New Person", password: STRONG },
    })),
    c("POST", "/api/invitations/accept", 200, async () => {
      const { u, cookie } = await freshUser();
      return { path: "/api/invitations/accept", body: { token: (await invitation(u.email)).token }, cookie };
    }),
    c("DELETE", "/api/me/sessions/:id", 200, async () => {
      const other = await h.s.identity.getSession(new Headers({ cookie: await h.signIn(owner) }));
      return { path: `/api/me/sessions/${other?.sessionId}`, cookie: ownerCookie };
    }),
    c("POST", "/api/v1/users/me/delete", 200, async () => {
      const { u, cookie } = await freshUser();
      return { path: "/api/v1/users/me/delete", body: { confirm: u.email }, cookie };
    }),
    c("DELETE", "/api/v1/users/me", 200, async () => {
      const { u, cookie } = await freshUser();
      return { path: "/api/v1/users/me", body: { confirm: u.email }, cookie };
    }),
    c("POST", "/api/settings/api-keys", 201, async () => ({
      path: "/api/settings/api-keys",
      body: { name: uniq("k") },
      cookie: ownerCookie,
    })),
    c("DELETE", "/api/settings/api-keys/:id", 200, async () => ({
      path: `/api/settings/api-keys/${(await h.pat(owner)).id}`,
      cookie: ownerCookie,
    })),
    c("PATCH", "/api/teams/:teamId/members/:userId", 200, async () => ({
      path: `${team}/members/${(await member()).userId}`,
      body: { role: "viewer" },
      cookie: ownerCookie,
    })),
    c("DELETE", "/api/teams/:teamId/members/:userId", 200, async () => ({
      path: `${team}/members/${(await member()).userId}`,
      cookie: ownerCookie,
    })),
    c("POST", "/api/teams/:teamId/invitations", 201, async () => ({
      path: `${team}/invitations`,
      body: { email: email(), role: "member" },
      cookie: ownerCookie,
    })),
    c("DELETE", "/api/teams/:teamId/invitations/:id", 200, async () => ({
      path: `${team}/invitations/${(await invitation()).id}`,
      cookie: ownerCookie,
    })),
    c("POST", "/api/teams/:teamId/connections", 201, async () => ({
      path: `${team}/connections`,
      body: { kind: "rest", name: uniq("r").toLowerCase().slice(0, 30), url: "https://api.example.test" },
      cookie: ownerCookie,
    })),
    c("PATCH", "/api/teams/:teamId/connections/:id", 200, async () => ({
      path: `${team}/connections/${await connection()}`,
      body: { enabled: false },
      cookie: ownerCookie,
    })),
    c("DELETE", "/api/teams/:teamId/connections/:id", 200, async () => ({
      path: `${team}/connections/${await connection()}`,
      cookie: ownerCookie,
    })),
    c("POST", "/api/teams/:teamId/repos/:repoId/exclusions/:connectionId", 200, async () => ({
      path: `${team}/repos/${repoId}/exclusions/${await connection()}`,
      cookie: ownerCookie,
    })),
    c("DELETE", "/api/teams/:teamId/repos/:repoId/exclusions/:connectionId", 200, async () => {
      const id = await connection();
      await h.s.connections.setExcluded(owner.teamId, repoId, id, true, ctx);
      return { path: `${team}/repos/${repoId}/exclusions/${id}`, cookie: ownerCookie };
    }),
    c("POST", "/api/settings/gateway-keys", 201, async () => ({
      path: "/api/settings/gateway-keys",
      body: { name: uniq("g") },
      cookie: ownerCookie,
    })),
    c("DELETE", "/api/settings/gateway-keys/:id", 200, async () => ({
      path: `/api/settings/gateway-keys/${await gatewayKey()}`,
      cookie: ownerCookie,
    })),
    c("POST", "/api/settings/gateway-keys/:id/rotate", 200, async () => ({
      path: `/api/settings/gateway-keys/${await gatewayKey()}/rotate`,
      cookie: ownerCookie,
    })),
    c("POST", "/api/cli-auth/consent", 200, async () => ({
      path: "/api/cli-auth/consent",
      body: cliConsent(),
      cookie: ownerCookie,
    })),
    c("POST", "/api/cli-auth/deny", 200, async () => {
      const { callback, nonce } = cliConsent();
      return { path: "/api/cli-auth/deny", body: { callback, nonce }, cookie: ownerCookie };
    }),
    c("POST", "/api/cli-auth/device/approve", 200, async () => ({
      path: "/api/cli-auth/device/approve",
      body: { userCode: await deviceCode() },
      cookie: ownerCookie,
    })),
    c("POST", "/api/cli-auth/device/deny", 200, async () => ({
      path: "/api/cli-auth/device/deny",
      body: { userCode: await deviceCode() },
      cookie: ownerCookie,
    })),
    c("POST", "/api/web/repos", 201, async () => ({
      path: "/api/web/repos",
      body: { fullName: `acme/${uniq("r")}`, cloneUrl: "https://git.example.test/acme/r.git" },
      cookie: ownerCookie,
    })),
    c("POST", "/api/web/runs", 202, async () => ({
      path: "/api/web/runs",
      body: { repoId, prompt: "origin check" },
      headers: { "idempotency-key": uniq("k") },
      cookie: ownerCookie,
    })),
    c("POST", "/api/web/runs/:id/cancel", 200, async () => {
      const run = await h.json<{ data: { run: { id: string } } }>("POST", "/api/v1/mogplex/runs", {
        token: (await h.pat(owner)).token,
        body: { repoId, prompt: "to cancel" },
        headers: { "idempotency-key": uniq("k") },
      });
      return { path: `/api/web/runs/${run.body.data.run.id}/cancel`, body: {}, cookie: ownerCookie };
    }),
  ];
}
