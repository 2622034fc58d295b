// The registry's session routes (both databases; releases judged by the real sandboxed scanner): the team's
// vendor, raw-zip uploads from a session (content type, size, the upload tier shared with the PAT route),
// a team listing is the same 404 as a missing one for outsiders, and acquiring from the browser is free only:
// a priced listing is 402 with nothing charged or granted, while its vendor team gets it free.
import { REGISTRY_BASE } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE, createHarness, type Harness, type TestUser } from "../../test-support/harness.js";
import { makePackage, upload } from "../test-support/packages.js";
import { fund } from "../wallet/test-support/fixtures.js";

const W = "/api/web/registry";
type Json = Record<string, unknown>;

let h: Harness;
let seller: TestUser;
let sellerCookie: string;
let outsider: TestUser;
let outsiderCookie: string;

/** A session upload: the zip as the body, the app's own Origin. */
async function webUpload(cookie: string, zip: Uint8Array, query = "", type = "application/zip") {
  const res = await h.app.request(`${BASE}${W}/releases${query}`, {
    method: "POST",
    headers: { cookie, origin: BASE, "content-type": type },
    body: zip,
  });
  return { status: res.status, body: (await res.json()) as Json, retryAfter: res.headers.get("retry-after") };
}

async function scanned(): Promise<void> {
  await h.s.registry.scans.runOnce();
}

beforeAll(async () => {
  // Six upload attempts a minute per user, whichever route they come through.
  h = await createHarness({ env: { MOGPLEX_RUN_START_LIMITS: "6/1m" } });
  seller = await h.user();
  sellerCookie = await h.signIn(seller);
  outsider = await h.user();
  outsiderCookie = await h.signIn(outsider);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe("the team's vendor", () => {
  it("is null, then created once (immutable, one per team), and an upload needs it", async () => {
    expect((await h.json("GET", `${W}/vendor`, { cookie: sellerCookie })).body).toEqual({ vendor: null });
    const early = await webUpload(sellerCookie, await makePackage({ name: "webco/early" }));
    expect(early.status).toBe(400);
    expect(JSON.stringify(early.body)).toMatch(/no vendor yet/);
    const made = await h.json("POST", `${W}/vendor`, {
      cookie: sellerCookie,
      body: { slug: "webco", name: "Web Co" },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ vendor: { slug: "webco", name: "Web Co", teamId: seller.teamId } });
    const again = await h.json("POST", `${W}/vendor`, {
      cookie: sellerCookie,
      body: { slug: "webco-two", name: "Again" },
    });
    expect(again.status).toBe(409);
    const bad = await h.json("POST", `${W}/vendor`, {
      cookie: outsiderCookie,
      body: { slug: "A_b", name: "x" },
    });
    expect(bad.status).toBe(400);
    expect((await h.json("GET", `${W}/vendor`, { cookie: sellerCookie })).body).toMatchObject({
      vendor: { slug: "webco" },
    });
  });
});

describe("uploads from a session", () => {
  it("refuses another content type (415), an oversize body (413) and an empty one (400)", async () => {
    const zip = await makePackage({ name: "webco/typed" });
    expect((await webUpload(sellerCookie, zip, "", "application/json")).status).toBe(415);
    const huge = await h.app.request(`${BASE}${W}/releases`, {
      method: "POST",
      headers: {
        cookie: sellerCookie,
        origin: BASE,
        "content-type": "application/zip",
        "content-length": String(1024 * 1024 * 1024),
      },
      body: zip,
    });
    expect(huge.status).toBe(413);
    expect((await webUpload(sellerCookie, new Uint8Array(0))).status).toBe(400);
  });

  it("a team listing: scanned and published for the team, the same 404 as a missing one for anyone else", async () => {
    const up = await webUpload(
      sellerCookie,
      await makePackage({ name: "webco/private" }),
      "?visibility=team",
    );
    expect(up.status).toBe(202);
    const releaseId = (up.body.release as Json).releaseId as string;
    expect(up.body.release).toMatchObject({ name: "webco/private", version: "1.0.0", scanStatus: "queued" });
    await scanned();
    const mine = await h.json("GET", `${W}/releases/${releaseId}`, { cookie: sellerCookie });
    expect(mine.body).toMatchObject({ release: { scanStatus: "passed", reason: null } });
    const detail = await h.json<{ listing: { visibility: string; releases: Json[] } }>(
      "GET",
      `${W}/packages/webco/private`,
      { cookie: sellerCookie },
    );
    expect(detail.body.listing.visibility).toBe("team");
    expect(detail.body.listing.releases[0]).toMatchObject({ version: "1.0.0", scanStatus: "passed" });
    const files = (detail.body.listing.releases[0]?.files ?? []) as Json[];
    expect(files.map((f) => f.path).sort()).toEqual(["README.md", "SKILL.md", "mog.yaml"]);

    const hidden = await h.json<{ error: Json }>("GET", `${W}/packages/webco/private`, {
      cookie: outsiderCookie,
    });
    const missing = await h.json<{ error: Json }>("GET", `${W}/packages/webco/nothing`, {
      cookie: outsiderCookie,
    });
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(hidden.body.error.message).toBe(missing.body.error.message);
    expect((await h.json("GET", `${W}/releases/${releaseId}`, { cookie: outsiderCookie })).status).toBe(404);
    const search = await h.json<{ packages: Json[] }>("GET", `${W}/packages?q=webco`, {
      cookie: outsiderCookie,
    });
    expect(search.body.packages.map((p) => p.name)).not.toContain("webco/private");
    const own = await h.json<{ packages: Json[] }>("GET", `${W}/packages?q=webco`, { cookie: sellerCookie });
    expect(own.body.packages.map((p) => p.name)).toContain("webco/private");
    const acquire = await h.json("POST", `${W}/entitlements`, {
      cookie: outsiderCookie,
      body: { name: "webco/private" },
    });
    expect(acquire.status).toBe(404);
  });

  it("counts against the same upload windows as the public route", async () => {
    // Five web attempts above counted (refused ones too, as on the public route); a PAT upload takes the
    // sixth, and the next web upload is refused.
    const pat = (await h.pat(seller, { scopes: ["read", "sell"] })).token;
    expect((await upload(h, pat, await makePackage({ name: "webco/third" }))).status).toBe(202);
    const fourth = await webUpload(sellerCookie, await makePackage({ name: "webco/fourth" }));
    expect(fourth.status).toBe(429);
    expect(Number(fourth.retryAfter)).toBeGreaterThan(0);
    await scanned();
  });
});

describe("acquiring from the browser", () => {
  it("a free listing: 201, then 200 with the same entitlement, listed as mine", async () => {
    await h.s.db.db
      .updateTable("registry_listings")
      .set({ visibility: "public" })
      .where("name", "=", "webco/private")
      .execute();
    const first = await h.json<{ entitlement: Json }>("POST", `${W}/entitlements`, {
      cookie: outsiderCookie,
      body: { name: "webco/private" },
    });
    expect(first.status).toBe(201);
    const again = await h.json<{ entitlement: Json }>("POST", `${W}/entitlements`, {
      cookie: outsiderCookie,
      body: { name: "webco/private" },
    });
    expect(again.status).toBe(200);
    expect(again.body.entitlement.entitlementId).toBe(first.body.entitlement.entitlementId);
    const mine = await h.json<{ entitlements: Json[] }>("GET", `${W}/entitlements`, {
      cookie: outsiderCookie,
    });
    expect(mine.body.entitlements).toEqual([first.body.entitlement]);
  });

  it("a priced listing: 402 and nothing charged or granted; the vendor's own team gets it free", async () => {
    await h.s.db.db
      .updateTable("registry_listings")
      .set({ price_cents: 700 })
      .where("name", "=", "webco/third")
      .execute();
    await fund(h, outsider.teamId, 5000);
    const paid = await h.json<{ error: Json }>("POST", `${W}/entitlements`, {
      cookie: outsiderCookie,
      body: { name: "webco/third" },
    });
    expect(paid.status).toBe(402);
    expect(paid.body.error).toMatchObject({ code: "PAYMENT_REQUIRED" });
    expect(String(paid.body.error.message)).toMatch(/costs \$7\.00.*mog install webco\/third/);
    const wallet = await h.json<{ balanceCents: number; entries: Json[] }>(
      "GET",
      `/api/teams/${outsider.teamId}/wallet`,
      { cookie: outsiderCookie },
    );
    expect(wallet.body.balanceCents).toBe(5000);
    expect(wallet.body.entries).toHaveLength(1);
    const mine = await h.json<{ entitlements: Json[] }>("GET", `${W}/entitlements`, {
      cookie: outsiderCookie,
    });
    expect(mine.body.entitlements.map((e) => e.name)).not.toContain("webco/third");

    const own = await h.json("POST", `${W}/entitlements`, {
      cookie: sellerCookie,
      body: { name: "webco/third" },
    });
    expect(own.status).toBe(201);
  });
});

it("the session routes are the web app's: the public API base is not where they live", () => {
  expect(W.startsWith(REGISTRY_BASE)).toBe(false);
});
