// Who reaches a preview host: the control plane's hand-off (session + team, single-use code bound to member and
// sandbox) and the preview host's own cookie, re-checked on every request (sandbox, membership, session).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../security/random.js";
import { uniq } from "../test-support/harness.js";
import {
  handOffUrl,
  hostRequest,
  previewCookieFor,
  previewHost,
  runWithPreview,
  untilServed,
} from "./test-support/previews.js";
import type { RunFixture } from "./test-support/run-fixture.js";
import { startRunFixture } from "./test-support/run-fixture.js";

const SYS = { actorType: "system" as const, actorId: null };
const NOT_FOUND = { ok: false, error: { code: "NOT_FOUND", message: "Preview not found" } };
const NO_SESSION = {
  ok: false,
  error: {
    code: "UNAUTHORIZED",
    message: "No preview session here: open the preview from its run in Mogplex",
  },
};

describe("preview hosts: hand-off and access", () => {
  let f: RunFixture;
  let a: string;
  let b: string;
  let member: string;
  beforeAll(async () => {
    f = await startRunFixture();
    [a, b] = await Promise.all([
      runWithPreview(f, "ACCESS-A").then((r) => r.sandboxId as string),
      runWithPreview(f, "ACCESS-B").then((r) => r.sandboxId as string),
    ]);
    member = await f.h.signIn(f.a.user);
    await untilServed(f.h, `${previewHost(a)}/`, await previewCookieFor(f.h, a, member));
  });
  afterAll(async () => {
    await f.close();
  });

  it("hands a member's browser to the sandbox's own origin with a single-use code, then lands on the path", async () => {
    const handoff = new URL(await handOffUrl(f.h, a, "/app/page?x=1&y=%2F", member));
    expect(handoff.origin).toBe(previewHost(a));
    expect(handoff.pathname).toBe("/.mogplex/handoff");
    expect(handoff.searchParams.get("path")).toBe("/app/page?x=1&y=%2F");
    const code = handoff.searchParams.get("code") as string;
    // Stored only as its digest.
    const stored = await f.h.s.db.db.selectFrom("preview_handoffs").select("code_hash").execute();
    expect(stored.map((r) => r.code_hash)).toContain(sha256Hex(code));
    expect(JSON.stringify(stored)).not.toContain(code);

    // A HEAD (link checker, prefetch) leaves the code for the person's own navigation.
    expect((await hostRequest(f.h, handoff.toString(), { method: "HEAD" })).status).toBe(405);
    const first = await hostRequest(f.h, handoff.toString());
    expect(first.status).toBe(302);
    expect(first.headers.get("location")).toBe("/app/page?x=1&y=%2F");
    const set = first.headers.get("set-cookie") as string;
    expect(set).toMatch(/^mogplex_preview=[A-Za-z0-9]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    const token = (set.split(";")[0] as string).split("=")[1] as string;
    const sessions = await f.h.s.db.db.selectFrom("preview_sessions").select("token_hash").execute();
    expect(sessions.map((r) => r.token_hash)).toContain(sha256Hex(token));

    // A replayed code is refused with a page that says so, and no cookie.
    const replay = await hostRequest(f.h, handoff.toString());
    expect(replay.status).toBe(400);
    expect(replay.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await replay.text()).toContain("already used, has expired, or is not yours");
    expect(replay.headers.get("set-cookie")).toBeNull();
  });

  it("refuses expired codes, codes for another sandbox's host and landing paths that leave the origin", async () => {
    const expired = new URL(await handOffUrl(f.h, a, "/", member));
    await f.h.s.db.db
      .updateTable("preview_handoffs")
      .set({ expires_at: Date.now() - 1 })
      .where("code_hash", "=", sha256Hex(expired.searchParams.get("code") as string))
      .execute();
    expect((await hostRequest(f.h, expired.toString())).status).toBe(400);

    const forA = new URL(await handOffUrl(f.h, a, "/", member));
    const onB = `${previewHost(b)}${forA.pathname}${forA.search}`;
    const refused = await hostRequest(f.h, onB);
    expect(refused.status).toBe(400);
    expect(refused.headers.get("set-cookie")).toBeNull();
    // Spent by that attempt: not usable on its own host afterwards either.
    expect((await hostRequest(f.h, forA.toString())).status).toBe(400);

    for (const path of ["//evil.example/x", "/\\evil.example", "https://evil.example/"]) {
      const bad = new URL(await handOffUrl(f.h, a, "/", member));
      bad.searchParams.set("path", path);
      expect((await hostRequest(f.h, bad.toString())).status).toBe(400);
    }
    expect((await f.h.request("GET", `/preview/${a}//evil.example/x`, { cookie: member })).status).toBe(400);
  });

  it("the control plane: no session 401, a token 403, outsiders and unknown ids the same 404", async () => {
    expect((await f.h.request("GET", `/preview/${a}/`)).status).toBe(401);
    expect((await f.h.request("GET", `/preview/${a}/`, { token: f.a.token })).status).toBe(403);
    const outsider = await f.h.signIn(await f.h.user());
    const theirs = await f.h.json("GET", `/preview/${a}/`, { cookie: outsider });
    const missing = await f.h.json("GET", `/preview/${uniq("nosuch")}/`, { cookie: member });
    expect([theirs.status, missing.status]).toEqual([404, 404]);
    expect(theirs.body).toMatchObject(NOT_FOUND);
    expect(missing.body).toMatchObject(NOT_FOUND);
  });

  it("the preview host: no cookie, another sandbox's cookie or an unknown host id are refused alike", async () => {
    const cookieA = await previewCookieFor(f.h, a, member);
    const none = await hostRequest(f.h, `${previewHost(a)}/`);
    const crossed = await hostRequest(f.h, `${previewHost(b)}/`, { cookie: cookieA });
    const unknown = await hostRequest(f.h, `${previewHost("0000-nosuch")}/`, { cookie: cookieA });
    const session = await hostRequest(f.h, `${previewHost(a)}/`, { cookie: member });
    for (const res of [none, crossed, unknown, session]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject(NO_SESSION);
    }
    expect((await hostRequest(f.h, `${previewHost(a)}/`, { cookie: cookieA })).status).toBe(200);
  });

  it("a preview cookie ends with the session that minted it and with the member's place in the team", async () => {
    const mate = await f.h.user({ team: f.a.user.team, role: "member" });
    const mateSession = await f.h.signIn(mate);
    const kept = await previewCookieFor(f.h, a, mateSession);
    const second = await f.h.signIn(mate);
    const signedOut = await previewCookieFor(f.h, a, second);
    expect((await hostRequest(f.h, `${previewHost(a)}/`, { cookie: signedOut })).status).toBe(200);
    const out = await f.h.request("POST", "/api/auth/sign-out", { cookie: second });
    expect(out.status).toBe(200);
    expect((await hostRequest(f.h, `${previewHost(a)}/`, { cookie: signedOut })).status).toBe(401);

    expect((await hostRequest(f.h, `${previewHost(a)}/`, { cookie: kept })).status).toBe(200);
    await f.h.s.teams.removeMember(
      { userId: mate.userId, teamId: mate.teamId, role: "member" },
      mate.userId,
      SYS,
    );
    expect((await hostRequest(f.h, `${previewHost(a)}/`, { cookie: kept })).status).toBe(401);
    // Nor does the control plane hand them a new one.
    expect((await f.h.request("GET", `/preview/${a}/`, { cookie: mateSession })).status).toBe(404);
  });
});
