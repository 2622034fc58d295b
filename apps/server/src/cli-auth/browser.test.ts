// Browser CLI sign-in: the consent route behind the web app's /cli-auth page, loopback callback rules,
// single-use PKCE-bound code, token exchange. (The page itself is driven in Chromium: apps/web/e2e/cli-login.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, FakeClock, type Harness, type TestUser } from "../test-support/harness.js";
import { CALLBACK_RULE } from "./shared-routes.js";
import { CALLBACK, cliAuthQuery, pkce, webAppDocument } from "./test-support/flow.js";

const clock = new FakeClock();
let h: Harness;
let u: TestUser;
let cookie: string;

beforeAll(async () => {
  h = await createHarness({ clock });
  u = await h.user();
  cookie = await h.signIn(u);
});
afterAll(async () => {
  await h.close();
});

type Issued = { token: string; prefix: string; expiresAt: string };
type OAuthErr = { error: string; error_description: string };

async function consent(p: { challenge: string; nonce: string }, callback = CALLBACK) {
  return h.json<{ redirectUrl: string }>("POST", "/api/cli-auth/consent", {
    cookie,
    body: { callback, nonce: p.nonce, codeChallenge: p.challenge, codeChallengeMethod: "S256" },
  });
}

const exchange = (code: string, codeVerifier: string) =>
  h.json<Issued & OAuthErr>("POST", "/api/cli-auth/token", { body: { code, codeVerifier } });

const codeOf = (redirectUrl: string) => new URL(redirectUrl).searchParams.get("code") as string;

const BAD_CALLBACKS = [
  "http://evil.example:5000/callback",
  "http://localhost.evil.example:5000/callback",
  "http://127.0.0.1:80/callback",
  "http://127.0.0.1:1023/callback",
  "http://127.0.0.1:70000/callback",
  "http://127.0.0.1/callback",
  "http://127.0.0.1:5000/other",
  "http://127.0.0.1:5000/callback/",
  "http://127.0.0.1:5000/callback?x=1",
  "http://127.0.0.1:5000/callback#x",
  "http://user:pw@127.0.0.1:5000/callback",
  "https://127.0.0.1:5000/callback",
  "http://127.1:5000/callback",
  "http://0x7f000001:5000/callback",
  "http://[::ffff:127.0.0.1]:5000/callback",
  "javascript:alert(1)",
];

describe("/cli-auth is the web app's page", () => {
  it("serves the web app's document on a direct load, signed in or not; there is no form endpoint", async () => {
    const spa = await webAppDocument(h);
    for (const c of [undefined, cookie]) {
      const res = await h.request("GET", `/cli-auth?${cliAuthQuery(pkce())}`, { cookie: c });
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(await res.text()).toBe(spa);
    }
    const post = await h.json<{ error: { code: string } }>("POST", "/cli-auth", {
      cookie,
      rawBody: "decision=approve",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(post.status).toBe(404);
    expect(post.body.error.code).toBe("NOT_FOUND");
  });

  it.each(BAD_CALLBACKS)("refuses the callback %s, without echoing it", async (callback) => {
    const r = await consent(pkce(), callback);
    expect(r.status).toBe(400);
    const message = (r.body as unknown as { error: { message: string } }).error.message;
    expect(message).toBe(CALLBACK_RULE);
  });

  it("accepts localhost and [::1] loopback callbacks", async () => {
    for (const cb of ["http://localhost:5000/callback", "http://[::1]:65535/callback"]) {
      expect((await consent(pkce(), cb)).status).toBe(200);
    }
  });

  it("refuses a plain challenge method or a malformed nonce", async () => {
    const p = pkce();
    const body = {
      callback: CALLBACK,
      nonce: p.nonce,
      codeChallenge: p.challenge,
      codeChallengeMethod: "S256",
    };
    const send = (b: Record<string, string>) => h.json("POST", "/api/cli-auth/consent", { cookie, body: b });
    expect((await send({ ...body, codeChallengeMethod: "plain" })).status).toBe(400);
    expect((await send({ ...body, nonce: "not-hex" })).status).toBe(400);
    expect((await send({ ...body, codeChallenge: "short" })).status).toBe(400);
  });
});

describe("consent → code → token", () => {
  it("consent hands off a single-use code via the loopback URL, exchanged with the verifier for a PAT", async () => {
    const p = pkce();
    const r = await consent(p);
    expect(r.status).toBe(200);
    const link = new URL(r.body.redirectUrl);
    expect(`${link.origin}${link.pathname}`).toBe(CALLBACK);
    expect(link.searchParams.get("nonce")).toBe(p.nonce);
    const code = link.searchParams.get("code") as string;
    expect(code).toMatch(/^[0-9A-Za-z]{32}$/);

    const issued = await exchange(code, p.verifier);
    expect(issued.status).toBe(200);
    expect(issued.body.token).toMatch(/^mog_[0-9A-Za-z]{32}$/);
    expect(issued.body.prefix).toBe(issued.body.token.slice(0, 12));
    expect(Date.parse(issued.body.expiresAt) - clock.now()).toBe(90 * 86_400_000);
    expect(link.href).not.toContain(issued.body.token);

    const repos = await h.json("GET", "/api/v1/mogplex/repos", { token: issued.body.token });
    expect(repos.status).toBe(200);
    const keys = await h.json<{ keys: Array<{ name: string; scopes: string[]; prefix: string }> }>(
      "GET",
      "/api/settings/api-keys",
      { cookie },
    );
    const key = keys.body.keys.find((k) => k.prefix === issued.body.prefix);
    expect(key?.name).toBe(`CLI on ${new Date(clock.now()).toISOString().slice(0, 10)}`);
    expect(key?.scopes).toEqual(["read", "write"]);

    const audit = await h.s.db.db
      .selectFrom("audit_events")
      .select(["action", "actor_id", "payload"])
      .where("team_id", "=", u.teamId)
      .execute();
    const actions = audit.map((a) => a.action);
    expect(actions).toContain("cli_auth.consented");
    expect(actions).toContain("token.created");
    expect(JSON.stringify(audit)).not.toContain(code);
    expect(JSON.stringify(audit)).not.toContain(issued.body.token);
  });

  it("stores only the hash of the code", async () => {
    const p = pkce();
    const code = codeOf((await consent(p)).body.redirectUrl);
    const rows = await h.s.db.db.selectFrom("cli_auth_codes").selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(code);
  });

  it("a code works once: a second exchange is invalid_grant", async () => {
    const p = pkce();
    const code = codeOf((await consent(p)).body.redirectUrl);
    expect((await exchange(code, p.verifier)).status).toBe(200);
    const again = await exchange(code, p.verifier);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe("invalid_grant");
  });

  it("racing exchanges of one code mint exactly one token", async () => {
    const p = pkce();
    const code = codeOf((await consent(p)).body.redirectUrl);
    const results = await Promise.all(Array.from({ length: 6 }, () => exchange(code, p.verifier)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400 && r.body.error === "invalid_grant")).toHaveLength(5);
  });

  it("a wrong verifier is refused and does not burn the code for the real CLI", async () => {
    const p = pkce();
    const code = codeOf((await consent(p)).body.redirectUrl);
    const wrong = await exchange(code, pkce().verifier);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe("invalid_grant");
    const malformed = await exchange(code, "short");
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toBe("invalid_request");
    expect((await exchange(code, p.verifier)).status).toBe(200);
  });

  it("a code older than 60 seconds is invalid_grant", async () => {
    const p = pkce();
    const code = codeOf((await consent(p)).body.redirectUrl);
    clock.advance(60_001);
    const late = await exchange(code, p.verifier);
    expect(late.status).toBe(400);
    expect(late.body.error).toBe("invalid_grant");
  });

  it("an unknown code, or a body with extra fields, is refused", async () => {
    expect((await exchange("A".repeat(32), pkce().verifier)).body.error).toBe("invalid_grant");
    const extra = await h.json<OAuthErr>("POST", "/api/cli-auth/token", {
      body: { code: "x", codeVerifier: pkce().verifier, token: "y" },
    });
    expect(extra.status).toBe(400);
    expect(extra.body.error).toBe("invalid_request");
  });
});

describe("refusals", () => {
  it("deny sends the CLI access_denied, mints nothing, and is audited", async () => {
    const p = pkce();
    const json = await h.json<{ redirectUrl: string }>("POST", "/api/cli-auth/deny", {
      cookie,
      body: { callback: CALLBACK, nonce: p.nonce },
    });
    expect(json.status).toBe(200);
    expect(json.body.redirectUrl).toBe(`${CALLBACK}?error=access_denied&nonce=${p.nonce}`);
    const denied = await h.s.db.db
      .selectFrom("audit_events")
      .select("action")
      .where("action", "=", "cli_auth.denied")
      .execute();
    expect(denied.length).toBeGreaterThanOrEqual(1);
  });

  it("the JSON consent route is session-only and Origin-checked", async () => {
    const p = pkce();
    const body = {
      callback: CALLBACK,
      nonce: p.nonce,
      codeChallenge: p.challenge,
      codeChallengeMethod: "S256",
    };
    const { token } = await h.pat(u);
    expect((await h.json("POST", "/api/cli-auth/consent", { token, body })).status).toBe(403);
    expect((await h.json("POST", "/api/cli-auth/consent", { body })).status).toBe(401);
    const cross = await h.json("POST", "/api/cli-auth/consent", {
      cookie,
      body,
      origin: "https://evil.example",
    });
    expect(cross.status).toBe(403);
    // What a page with <meta name="referrer" content="no-referrer"> makes Chromium send on a form post.
    expect((await h.json("POST", "/api/cli-auth/consent", { cookie, body, origin: "null" })).status).toBe(
      403,
    );
    expect(
      await h.s.db.db
        .selectFrom("cli_auth_codes")
        .select("id")
        .where("code_challenge", "=", p.challenge)
        .execute(),
    ).toEqual([]);
  });
});

describe("per-IP limits", () => {
  it("the token endpoint is on the sign-in tier", async () => {
    const limited = await createHarness({ env: { MOGPLEX_SIGNIN_RATE_LIMIT: "2/60s" } });
    try {
      const call = () =>
        limited.json("POST", "/api/cli-auth/token", { body: { code: "x", codeVerifier: pkce().verifier } });
      expect((await call()).status).toBe(400);
      expect((await call()).status).toBe(400);
      const third = await call();
      expect(third.status).toBe(429);
      expect(third.res.headers.get("retry-after")).toMatch(/^\d+$/);
    } finally {
      await limited.close();
    }
  });
});
