// RFC 8628 device flow for the CLI: codes, polling (pending / slow_down / expired / denied), one PAT per approval.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeExpired } from "../retention/jobs.js";
import { BASE, createHarness, FakeClock, type Harness, type TestUser } from "../test-support/harness.js";
import { webAppDocument } from "./test-support/flow.js";

const GRANT = "urn:ietf:params:oauth:grant-type:device_code";
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

interface DeviceStart {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}
interface TokenReply {
  access_token?: string;
  scope?: string;
  token_type?: string;
  expires_in?: number;
  error?: string;
}

async function start(clientId?: string): Promise<DeviceStart> {
  const r = await h.json<DeviceStart>("POST", "/api/cli-auth/device/code", {
    headers: { "user-agent": "mogplex-cli/test" },
    ...(clientId ? { body: { client_id: clientId } } : {}),
  });
  expect(r.status).toBe(200);
  return r.body;
}
const poll = (device_code: string, grant_type = GRANT) =>
  h.json<TokenReply>("POST", "/api/cli-auth/device/token", { body: { grant_type, device_code } });
const decide = (decision: "approve" | "deny", userCode: string, c = cookie) =>
  h.json("POST", `/api/cli-auth/device/${decision}`, { cookie: c, body: { userCode } });

describe("device authorization request", () => {
  it("answers the RFC 8628 fields with an XXXX-XXXX user code, storing only hashes", async () => {
    const d = await start();
    expect(d.device_code).toMatch(/^[0-9A-Za-z]{43}$/);
    expect(d.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(d.verification_uri).toBe(`${BASE}/device`);
    expect(d.verification_uri_complete).toBe(`${BASE}/device?user_code=${d.user_code}`);
    expect(d.expires_in).toBe(600);
    expect(d.interval).toBe(5);
    const rows = JSON.stringify(await h.s.db.db.selectFrom("cli_device_codes").selectAll().execute());
    expect(rows).not.toContain(d.device_code);
    expect(rows).not.toContain(d.user_code.replace("-", ""));
  });
});

describe("polling", () => {
  it("pending, then slow_down when polled sooner than the interval, which then grows by 5 s", async () => {
    const d = await start();
    expect((await poll(d.device_code)).body.error).toBe("authorization_pending");
    const fast = await poll(d.device_code);
    expect(fast.status).toBe(400);
    expect(fast.body.error).toBe("slow_down");
    clock.advance(5_000);
    // The interval is now 10 s, counted from the last (too fast) poll.
    expect((await poll(d.device_code)).body.error).toBe("slow_down");
    clock.advance(15_000);
    expect((await poll(d.device_code)).body.error).toBe("authorization_pending");
  });

  it("approved through the session route: one token, exactly once", async () => {
    const d = await start();
    expect((await decide("approve", d.user_code.toLowerCase())).status).toBe(200);
    clock.advance(5_000);
    const first = await poll(d.device_code);
    expect(first.status).toBe(200);
    expect(first.body.access_token).toMatch(/^mog_[0-9A-Za-z]{32}$/);
    expect(first.body.token_type).toBe("Bearer");
    expect(first.body.expires_in).toBe(90 * 86_400);
    clock.advance(5_000);
    const again = await poll(d.device_code);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe("invalid_grant");
    const repos = await h.json("GET", "/api/v1/mogplex/repos", { token: first.body.access_token as string });
    expect(repos.status).toBe(200);
    const audit = await h.s.db.db
      .selectFrom("audit_events")
      .select(["action", "payload"])
      .where("team_id", "=", u.teamId)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["device.approved", "token.created"]));
    expect(JSON.stringify(audit)).not.toContain(first.body.access_token);
    expect(JSON.stringify(audit)).not.toContain(d.device_code);
  });

  it("runs started with the CLI's own token are recorded as source cli; other tokens stay api", async () => {
    const d = await start();
    expect((await decide("approve", d.user_code)).status).toBe(200);
    clock.advance(5_000);
    const cliToken = (await poll(d.device_code)).body.access_token as string;
    const repoId = await h.repo(u.teamId, `acme/src-${Date.now()}`);
    const startWith = async (token: string, key: string) =>
      h.json<{ data: { run: { source: string } } }>("POST", "/api/v1/mogplex/runs", {
        token,
        headers: { "Idempotency-Key": key },
        body: { repoId, prompt: "Where did I come from?" },
      });
    const viaCli = await startWith(cliToken, "k-cli");
    expect(viaCli.status).toBe(202);
    expect(viaCli.body.data.run.source).toBe("cli");
    const viaApi = await startWith((await h.pat(u)).token, "k-api");
    expect(viaApi.status).toBe(202);
    expect(viaApi.body.data.run.source).toBe("api");
  });

  it("racing polls after approval mint exactly one token", async () => {
    const d = await start();
    await decide("approve", d.user_code);
    clock.advance(5_000);
    const replies = await Promise.all(Array.from({ length: 6 }, () => poll(d.device_code)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it("denied → access_denied, and the code can't be approved afterwards", async () => {
    const d = await start();
    expect((await decide("deny", d.user_code)).status).toBe(200);
    expect((await poll(d.device_code)).body.error).toBe("access_denied");
    expect((await decide("approve", d.user_code)).status).toBe(404);
    const denied = await h.s.db.db
      .selectFrom("audit_events")
      .select("action")
      .where("action", "=", "device.denied")
      .execute();
    expect(denied.length).toBeGreaterThanOrEqual(1);
  });

  it("after 600 s: expired_token, and approval is refused", async () => {
    const d = await start();
    clock.advance(600_001);
    expect((await poll(d.device_code)).body.error).toBe("expired_token");
    expect((await decide("approve", d.user_code)).status).toBe(404);
  });

  it("unknown device codes and other grant types are refused", async () => {
    expect((await poll("nope")).body.error).toBe("invalid_grant");
    const d = await start();
    const wrong = await poll(d.device_code, "authorization_code");
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe("unsupported_grant_type");
  });

  it("approval needs a browser session from our origin", async () => {
    const d = await start();
    const { token } = await h.pat(u);
    const withPat = await h.json("POST", "/api/cli-auth/device/approve", {
      token,
      body: { userCode: d.user_code },
    });
    expect(withPat.status).toBe(403);
    const cross = await h.json("POST", "/api/cli-auth/device/approve", {
      cookie,
      origin: "https://evil.example",
      body: { userCode: d.user_code },
    });
    expect(cross.status).toBe(403);
    expect((await poll(d.device_code)).body.error).toBe("authorization_pending");
  });
});

describe("/device is the web app's page, over JSON routes", () => {
  it("serves the web app's document on a direct load, signed in or not; there is no form endpoint", async () => {
    const d = await start();
    const spa = await webAppDocument(h);
    for (const c of [undefined, cookie]) {
      expect(await (await h.request("GET", `/device?user_code=${d.user_code}`, { cookie: c })).text()).toBe(
        spa,
      );
      expect(await (await h.request("GET", "/device", { cookie: c })).text()).toBe(spa);
    }
    const post = await h.request("POST", "/device", {
      cookie,
      rawBody: `user_code=${d.user_code}&decision=approve`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(post.status).toBe(404);
    expect((await poll(d.device_code)).body.error).toBe("authorization_pending");
  });

  it("the lookup shows the code, the client, where from, and the time left on the server's clock", async () => {
    const d = await start();
    clock.advance(61_000);
    const r = await h.json<{ data: Record<string, unknown> }>(
      "GET",
      `/api/web/device-requests/${d.user_code}`,
      {
        cookie,
      },
    );
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({
      userCode: d.user_code,
      requesterAgent: "mogplex-cli/test",
      requestedSecondsAgo: 61,
      expiresInSeconds: 539,
    });
    expect(JSON.stringify(r.body)).not.toContain(d.device_code);
    clock.advance(539_000);
    expect((await h.request("GET", `/api/web/device-requests/${d.user_code}`, { cookie })).status).toBe(404);
  });

  it("lookups are limited per address (a pending code can't be found by guessing)", async () => {
    const limited = await createHarness({ env: { MOGPLEX_SIGNIN_RATE_LIMIT: "1/60s" } });
    try {
      const who = await limited.user();
      const c = await limited.signIn(who);
      // The lookup tier allows six times the sign-in tier, as the device poll does.
      for (let i = 0; i < 6; i++) {
        expect(
          (await limited.request("GET", "/api/web/device-requests/BCDF-GHJK", { cookie: c })).status,
        ).toBe(404);
      }
      const over = await limited.request("GET", "/api/web/device-requests/BCDF-GHJK", { cookie: c });
      expect(over.status).toBe(429);
      // Page loads are not in this tier (nor in the sign-in one).
      expect((await limited.request("GET", "/api/web/session", { cookie: c })).status).toBe(200);
      expect((await limited.request("GET", "/api/setup")).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe("retention", () => {
  it("purges expired device and hand-off codes", async () => {
    await start();
    const counts = await purgeExpired(h.s.db.db, h.dialect, clock.now() + 601_000);
    expect(counts.cliDeviceCodes).toBeGreaterThanOrEqual(1);
    expect(await h.s.db.db.selectFrom("cli_device_codes").selectAll().execute()).toEqual([]);
    expect(await h.s.db.db.selectFrom("cli_auth_codes").selectAll().execute()).toEqual([]);
  });
});

describe("scopes per client", () => {
  const tokenScopes = async (token: string) =>
    (await h.json<{ data: { token: { scopes: string[] } } }>("GET", "/api/v1/mogplex/token", { token })).body
      .data.token.scopes;
  const signInAs = async (who: TestUser, c: string, clientId?: string) => {
    const d = await start(clientId);
    expect((await decide("approve", d.user_code, c)).status).toBe(200);
    clock.advance(5_000);
    const r = await poll(d.device_code);
    expect(r.status).toBe(200);
    expect(who.teamId).toBeTruthy();
    return { scope: r.body.scope, scopes: await tokenScopes(r.body.access_token as string) };
  };

  it("mogplex gets read, write; mog gets read, download, purchase, and sell for owners and vendor teams", async () => {
    expect(await signInAs(u, cookie)).toEqual({ scope: "read write", scopes: ["read", "write"] });
    expect(await signInAs(u, cookie, "mog")).toEqual({
      scope: "read download purchase sell",
      scopes: ["read", "download", "purchase", "sell"],
    });
    // A plain member of a team without a vendor: no sell, until the team has one.
    const member = await h.user({ team: `shop-${Date.now()}`, role: "member" });
    const memberCookie = await h.signIn(member);
    expect((await signInAs(member, memberCookie, "mog")).scopes).toEqual(["read", "download", "purchase"]);
    await h.s.db.db
      .insertInto("registry_vendors")
      .values({
        slug: `v${Date.now()}`,
        team_id: member.teamId,
        name: "Shop",
        created_by: member.userId,
        created_at: clock.now(),
      })
      .execute();
    expect((await signInAs(member, memberCookie, "mog")).scopes).toEqual([
      "read",
      "download",
      "purchase",
      "sell",
    ]);
    // The approval page is told which client asks (it shows the scopes that come with it).
    const pending = await start("mog");
    const page = await h.json<{ data: { client: string } }>(
      "GET",
      `/api/web/device-requests/${pending.user_code}`,
      {
        cookie,
      },
    );
    expect(page.body.data.client).toBe("mog");
    // An unknown client id is treated as mogplex.
    expect((await signInAs(u, cookie, "other")).scopes).toEqual(["read", "write"]);
  });
});
