// One real app (Redis broadcast even on SQLite, a debug logger captured) with a team, an owner, a viewer and
// server-everything, and the OAuth client's moves against it: consent, code exchange, refresh, /mcp calls.
// Every code, verifier and token it sees is kept, so a test file can check none reached a log or the audit log.
import { Writable } from "node:stream";
import { expect } from "vitest";
import { listen, stdioEverything } from "../../gateway/test-support/everything.js";
import { createLogger } from "../../logger.js";
import {
  BASE,
  createHarness,
  type FakeClock,
  type Harness,
  type TestUser,
} from "../../test-support/harness.js";
import { authorize, GATEWAY_RESOURCE, pkcePair, REDIRECT, registerClient } from "./fixtures.js";

export const SYS = { actorType: "system", actorId: null } as const;
export const PLATFORM_RESOURCE = `${BASE}/api/v1/mogplex/mcp`;
export const INIT = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
};
interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}
const REDIS_URL = () => process.env.MOGPLEX_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export type OAuthStack = Awaited<ReturnType<typeof startOAuthStack>>;

export async function startOAuthStack(clock: FakeClock) {
  const logLines: string[] = [];
  const secrets: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  // Redis even on SQLite: the cross-replica revocation test needs a broadcast to cross.
  const h: Harness = await createHarness({
    clock,
    logger: createLogger("debug", sink),
    env: { REDIS_URL: REDIS_URL() },
  });
  const srv = await listen(h);
  const owner: TestUser = await h.user({ team: "acme" });
  const viewer: TestUser = await h.user({ team: "acme", role: "viewer" });
  const ownerCookie = await h.signIn(owner);
  const viewerCookie = await h.signIn(viewer);
  await h.s.connections.create(
    owner.teamId,
    owner.userId,
    { kind: "mcp_server", name: "everything", ...stdioEverything() },
    SYS,
  );

  /** The browser leg: authorize, consent to one tool, the code from the redirect. */
  const consentCode = async (
    clientId: string,
    challenge: string,
    resource = GATEWAY_RESOURCE,
    cookie = ownerCookie,
    extra: Record<string, unknown> = {},
  ) => {
    const res = await authorize(h, clientId, cookie, { challenge, resource });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get("location") ?? "", BASE);
    expect(to.pathname).toBe("/oauth/consent");
    const oauthQuery = to.search.slice(1);
    const info = await h.json<{
      client: { name: string; redirectHost: string };
      resource: string;
      canConsent: boolean;
      servers: { name: string; tools: string[] }[];
    }>("GET", `/api/oauth/consent?oauthQuery=${encodeURIComponent(oauthQuery)}`, { cookie });
    expect(info.status).toBe(200);
    expect(info.body.client).toMatchObject({ name: "Test Client", redirectHost: "127.0.0.1:53682" });
    expect(info.body.canConsent).toBe(true);
    const platform = resource === PLATFORM_RESOURCE;
    expect(info.body.resource).toBe(platform ? "platform" : "gateway");
    if (!platform)
      expect(info.body.servers.find((s) => s.name === "everything")?.tools).toContain("everything__echo");
    const choice = platform ? { scopes: ["read"] } : { servers: ["everything"], tools: ["everything__echo"] };
    const c = await h.json<{ redirect: string }>("POST", "/api/oauth/consent", {
      cookie,
      body: { oauthQuery, accept: true, ...choice, ...extra },
    });
    expect(c.status).toBe(200);
    const back = new URL(c.body.redirect);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get("state")).toBe("st-1");
    const code = back.searchParams.get("code") ?? "";
    secrets.push(code);
    return code;
  };

  const token = (body: Record<string, string>) =>
    fetch(`${srv.base}/api/auth/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(body).toString(),
    });
  const exchange = (clientId: string, code: string, verifier: string, resource = GATEWAY_RESOURCE) =>
    token({
      grant_type: "authorization_code",
      client_id: clientId,
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      resource,
    });
  const tokensOf = async (res: Response): Promise<Tokens> => {
    expect(res.status).toBe(200);
    const t = (await res.json()) as Tokens;
    secrets.push(t.access_token, t.refresh_token);
    return t;
  };
  /** A connected client: registration, consent, exchange. */
  const connect = async (
    resource = GATEWAY_RESOURCE,
    cookie = ownerCookie,
    extra: Record<string, unknown> = {},
  ) => {
    const clientId = await registerClient(h);
    const { verifier, challenge } = pkcePair();
    secrets.push(verifier);
    const code = await consentCode(clientId, challenge, resource, cookie, extra);
    return { clientId, ...(await tokensOf(await exchange(clientId, code, verifier, resource))) };
  };

  const mcp = (accessToken: string, body: unknown, session?: string) =>
    fetch(`${srv.base}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${accessToken}`,
        ...(session ? { "mcp-session-id": session } : {}),
      },
      body: JSON.stringify(body),
    });
  const initStatus = async (accessToken: string) => {
    const res = await mcp(accessToken, INIT);
    await res.text();
    return res.status;
  };

  return {
    h,
    srv,
    owner,
    viewer,
    ownerCookie,
    viewerCookie,
    secrets,
    consentCode,
    token,
    exchange,
    tokensOf,
    connect,
    mcp,
    initStatus,
    /** Checks that no token, code or verifier reached a log line or an audit payload, then stops the app. */
    async close(): Promise<void> {
      try {
        const audit = JSON.stringify(await h.s.db.db.selectFrom("audit_events").selectAll().execute());
        for (const secret of secrets) {
          expect(audit).not.toContain(secret);
          expect(logLines.join("")).not.toContain(secret);
        }
      } finally {
        await srv.close();
        await h.close();
      }
    },
  };
}
