// Browser CLI sign-in: consent page, loopback callback rules, single-use PKCE-bound code, token exchange.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, FakeClock, type Harness, type TestUser } from "../test-support/harness.js";
import { CALLBACK, cliAuthQuery, continueLink, hiddenFields, pkce, postForm } from "./test-support/flow.js";

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

describe("GET /cli-auth (consent page)", () => {
  it("sends someone without a session to /login with the whole request as next", async () => {
    const p = pkce();
    const res = await h.request("GET", `/cli-auth?${cliAuthQuery(p)}`);
    expect(res.status).toBe(302);
    const location = res.headers.get("location") as string;
    expect(location.startsWith("/login?next=")).toBe(true);
    expect(decodeURIComponent(location.slice("/login?next=".length))).toBe(`/cli-auth?${cliAuthQuery(p)}`);
    expect(await res.text()).toContain("Sign in required");
  });

  it("shows who is asking and what scopes, with a session-bound CSRF token and no script", async () => {
    const p = pkce();
    const res = await h.request("GET", `/cli-auth?${cliAuthQuery(p)}`, { cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).not.toMatch(/<script|\son[a-z]+=|\sstyle=/i);
    expect(html).toContain(u.email);
    expect(html).toContain("port 43123");
    expect(html).toMatch(/<strong>read<\/strong> and <strong>write<\/strong>, valid for 90 days/);
    const fields = hiddenFields(html);
    expect(fields).toMatchObject({ callback: CALLBACK, nonce: p.nonce, code_challenge: p.challenge });
    expect(fields.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each(BAD_CALLBACKS)("refuses the callback %s (page and JSON route)", async (callback) => {
    const p = pkce();
    const page = await h.request("GET", `/cli-auth?${cliAuthQuery(p, callback)}`, { cookie });
    expect(page.status).toBe(400);
    const body = await page.text();
    expect(body).toContain("This sign-in link is not valid");
    expect(body).not.toContain(callback.replaceAll("&", "&amp;"));
    const json = await consent(p, callback);
    expect(json.status).toBe(400);
  });

  it("accepts localhost and [::1] loopback callbacks", async () => {
    for (const cb of ["http://localhost:5000/callback", "http://[::1]:65535/callback"]) {
      expect((await consent(pkce(), cb)).status).toBe(200);
    }
  });

  it("refuses a plain challenge method or a malformed nonce", async () => {
    const p = pkce();
    const q = new URLSearchParams(cliAuthQuery(p));
    q.set("code_challenge_method", "plain");
    expect((await h.request("GET", `/cli-auth?${q}`, { cookie })).status).toBe(400);
    q.set("code_challenge_method", "S256");
    q.set("nonce", "not-hex");
    expect((await h.request("GET", `/cli-auth?${q}`, { cookie })).status).toBe(400);
  });
});

describe("consent → code → token", () => {
  it("the form hands off a single-use code via the loopback link, exchanged with the verifier for a PAT", async () => {
    const p = pkce();
    const page = await (await h.request("GET", `/cli-auth?${cliAuthQuery(p)}`, { cookie })).text();
    const res = await postForm(h, "/cli-auth", { ...hiddenFields(page), decision: "approve" }, { cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toMatch(/<script/i);
    const link = continueLink(html);
    expect(`${link.origin}${link.pathname}`).toBe(CALLBACK);
    expect(link.searchParams.get("nonce")).toBe(p.nonce);
    const code = link.searchParams.get("code") as string;
    expect(code).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(html).toContain(`<code>${code}</code>`); // for manual paste when the loopback is unreachable

    const issued = await exchange(code, p.verifier);
    expect(issued.status).toBe(200);
    expect(issued.body.token).toMatch(/^mog_[0-9A-Za-z]{32}$/);
    expect(issued.body.prefix).toBe(issued.body.token.slice(0, 12));
    expect(Date.parse(issued.body.expiresAt) - clock.now()).toBe(90 * 86_400_000);
    expect(html).not.toContain(issued.body.token);
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
    const page = await (await h.request("GET", `/cli-auth?${cliAuthQuery(p)}`, { cookie })).text();
    const res = await postForm(h, "/cli-auth", { ...hiddenFields(page), decision: "deny" }, { cookie });
    const html = await res.text();
    expect(html).toContain(`${CALLBACK}?error=access_denied&amp;nonce=${p.nonce}`);
    expect(html).not.toContain("code=");
    const denied = await h.s.db.db
      .selectFrom("audit_events")
      .select("action")
      .where("action", "=", "cli_auth.denied")
      .execute();
    expect(denied.length).toBeGreaterThanOrEqual(2);
  });

  it("the form needs the session's CSRF token and a same-origin post", async () => {
    const p = pkce();
    const page = await (await h.request("GET", `/cli-auth?${cliAuthQuery(p)}`, { cookie })).text();
    const fields = { ...hiddenFields(page), decision: "approve" };
    const noCsrf = await postForm(h, "/cli-auth", { ...fields, csrf: "" }, { cookie });
    expect(noCsrf.status).toBe(403);
    const other = await h.user();
    const otherCookie = await h.signIn(other);
    expect((await postForm(h, "/cli-auth", fields, { cookie: otherCookie })).status).toBe(403);
    const crossSite = await postForm(h, "/cli-auth", fields, { cookie, origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    expect((await postForm(h, "/cli-auth", fields)).status).toBe(401);
    expect(
      await h.s.db.db.selectFrom("cli_auth_codes").select("id").where("user_id", "=", other.userId).execute(),
    ).toEqual([]);
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
