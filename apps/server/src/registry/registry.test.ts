// The registry end to end through the app (both databases): vendors, upload → scan → signed publish, visibility,
// entitlements, signed download URLs and the blobs they unlock. Releases are judged by the real sandboxed scanner.
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REGISTRY_BASE, REGISTRY_KEY_PATH } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE, createHarness, FakeClock, type Harness, type TestUser } from "../test-support/harness.js";
import { makePackage, upload } from "./test-support/packages.js";

const R = REGISTRY_BASE;
const ALL = ["read", "download", "purchase", "sell"] as const;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
type Json = Record<string, unknown>;

let h: Harness;
let clock: FakeClock;
let vendorUser: TestUser;
let sell: string;
let outsider: TestUser;
let buyer: string;

beforeAll(async () => {
  clock = new FakeClock();
  h = await createHarness({ clock, env: { MOGPLEX_RUN_START_LIMITS: "1000/1m" } });
  vendorUser = await h.user();
  sell = (await h.pat(vendorUser, { scopes: [...ALL] })).token;
  outsider = await h.user();
  buyer = (await h.pat(outsider, { scopes: [...ALL] })).token;
  const v = await h.json("POST", `${R}/vendors`, { token: sell, body: { slug: "acme", name: "Acme" } });
  expect(v.status).toBe(201);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function publish(name: string, version: string, query = ""): Promise<{ id: string; zip: Buffer }> {
  const zip = await makePackage({ name, version });
  const up = await upload(h, sell, zip, query);
  expect(up.status, up.text).toBe(202);
  const data = up.body.data as Json;
  expect(data).toMatchObject({ name, version, scanStatus: "queued" });
  await h.s.registry.scans.runOnce();
  return { id: data.releaseId as string, zip };
}

describe("vendors", () => {
  it("one per team, slug rules, immutable; readable by anyone with read", async () => {
    const again = await h.json("POST", `${R}/vendors`, {
      token: sell,
      body: { slug: "acme-two", name: "A" },
    });
    expect(again.status).toBe(409);
    const other = await h.user();
    const tok = (await h.pat(other, { scopes: ["sell"] })).token;
    const taken = await h.json("POST", `${R}/vendors`, { token: tok, body: { slug: "acme", name: "B" } });
    expect(taken.status).toBe(409);
    for (const slug of ["a", "-ab", "ab-", "Ab", "a_b", "x".repeat(33)]) {
      const bad = await h.json("POST", `${R}/vendors`, { token: tok, body: { slug, name: "B" } });
      expect(bad.status, slug).toBe(400);
    }
    const noSell = (await h.pat(other, { scopes: ["read"] })).token;
    const refused = await h.json("POST", `${R}/vendors`, { token: noSell, body: { slug: "bee", name: "B" } });
    expect(refused.status).toBe(403);
    const got = await h.json<Json>("GET", `${R}/vendors/acme`, { token: buyer });
    expect(got.body.data).toMatchObject({ slug: "acme", name: "Acme", teamId: vendorUser.teamId });
    expect((await h.json("GET", `${R}/vendors/nope`, { token: buyer })).status).toBe(404);
  });
});

describe("upload → scan → signed publish", () => {
  it("publishes a passing release with its hashes and a statement signed by the well-known key", async () => {
    const { id, zip } = await publish("acme/review", "1.0.0");
    const rel = await h.json<Json>("GET", `${R}/releases/${id}`, { token: buyer });
    expect(rel.body.data).toMatchObject({
      releaseId: id,
      scanStatus: "passed",
      reason: null,
      sha256: sha(zip),
    });
    const detail = await h.json<Json>("GET", `${R}/packages/acme/review`, { token: buyer });
    const listing = detail.body.data as Json;
    expect(listing).toMatchObject({
      name: "acme/review",
      latestVersion: "1.0.0",
      description: "Reviews code",
    });
    const files = ((listing.releases as Json[])[0] as Json).files as Array<{ path: string; sha256: string }>;
    expect(files.map((f) => f.path).sort()).toEqual(["README.md", "SKILL.md", "mog.yaml"]);

    await h.json("POST", `${R}/entitlements`, { token: buyer, body: { name: "acme/review" } });
    const dl = await h.json<Json>("POST", `${R}/downloads`, { token: buyer, body: { name: "acme/review" } });
    expect(dl.status).toBe(201);
    const release = (dl.body.data as Json).release as Json;
    const key = (await h.json<Json>("GET", REGISTRY_KEY_PATH)).body.data as Json;
    expect(key.algorithm).toBe("Ed25519");
    const raw = Buffer.from(key.publicKey as string, "base64");
    expect(key.keyId).toBe(sha(raw).slice(0, 16));
    const pub = createPublicKey({
      key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]),
      format: "der",
      type: "spki",
    });
    const statement = release.statement as string;
    expect(
      verify(null, Buffer.from(statement), pub, Buffer.from(release.signature as string, "base64")),
    ).toBe(true);
    const parsed = JSON.parse(statement) as Json;
    expect(parsed).toMatchObject({
      v: 1,
      name: "acme/review",
      version: "1.0.0",
      type: "skill",
      sha256: sha(zip),
    });
    expect(Object.keys(parsed)).toEqual([...Object.keys(parsed)].sort());
    expect(statement).not.toMatch(/\s/);
    expect(parsed.keyId).toBe(key.keyId);
    expect((parsed.files as Json)["SKILL.md"]).toBe(files.find((f) => f.path === "SKILL.md")?.sha256);
    const tampered = statement.replace('"v":1', '"v":2');
    expect(verify(null, Buffer.from(tampered), pub, Buffer.from(release.signature as string, "base64"))).toBe(
      false,
    );
  });

  it("refuses uploads it cannot accept, each with its own code", async () => {
    const zip = await makePackage({ name: "acme/refusals" });
    expect((await upload(h, sell, zip, "", "application/octet-stream")).status).toBe(415);
    expect((await upload(h, sell, zip, "?visibility=secret")).status).toBe(400);
    expect((await upload(h, sell, Buffer.from("not a zip"))).status).toBe(400);
    const foreign = await upload(h, sell, await makePackage({ name: "other/pkg" }));
    expect(foreign.status).toBe(403);
    const readOnly = (await h.pat(vendorUser, { scopes: ["read"] })).token;
    const noScope = await upload(h, readOnly, zip);
    expect(noScope.status).toBe(403);
    expect(noScope.text).toContain("Missing required scope: sell");
    const viewer = await h.user({ team: vendorUser.team, role: "viewer" });
    const viewerTok = (await h.pat(viewer, { scopes: ["sell"] })).token;
    expect((await upload(h, viewerTok, zip)).status).toBe(403);
    const noVendor = await h.user();
    const nv = await upload(h, (await h.pat(noVendor, { scopes: ["sell"] })).token, zip);
    expect(nv.status).toBe(400);
    expect((await upload(h, sell, Buffer.alloc(50 * 1024 * 1024 + 1))).status).toBe(413);
    expect((await upload(h, sell, zip)).status).toBe(202);
    const dup = await upload(h, sell, zip);
    expect(dup.status).toBe(409);
  });
});

describe("visibility", () => {
  it("a team listing is the same 404 as a missing one for outsiders, and visible to its team", async () => {
    await publish("acme/internal", "1.0.0", "?visibility=team");
    const hidden = await h.json<Json>("GET", `${R}/packages/acme/internal`, { token: buyer });
    const missing = await h.json<Json>("GET", `${R}/packages/acme/missing`, { token: buyer });
    expect(hidden.status).toBe(404);
    const strip = (b: Json) => ({ ...b, error: { ...(b.error as Json), requestId: undefined } });
    expect(strip(hidden.body)).toEqual(strip(missing.body));
    const search = await h.json<Json>("GET", `${R}/packages?q=internal`, { token: buyer });
    expect(((search.body.data as Json).packages as Json[]).map((p) => p.name)).toEqual([]);
    const acquire = await h.json("POST", `${R}/entitlements`, {
      token: buyer,
      body: { name: "acme/internal" },
    });
    expect(acquire.status).toBe(404);
    const dl = await h.json("POST", `${R}/downloads`, { token: buyer, body: { name: "acme/internal" } });
    expect(dl.status).toBe(404);
    const mine = await h.json<Json>("GET", `${R}/packages?q=internal`, { token: sell });
    expect(((mine.body.data as Json).packages as Json[]).map((p) => p.name)).toEqual(["acme/internal"]);
    expect((await h.json("GET", `${R}/packages/acme/internal`, { token: sell })).status).toBe(200);
  });

  it("search filters by text and type, public listings only once published", async () => {
    const all = await h.json<Json>("GET", `${R}/packages?q=REVIEW&type=skill`, { token: buyer });
    expect(((all.body.data as Json).packages as Json[]).map((p) => p.name)).toContain("acme/review");
    const none = await h.json<Json>("GET", `${R}/packages?type=mcp`, { token: buyer });
    expect((none.body.data as Json).packages).toEqual([]);
    expect((await h.json("GET", `${R}/packages?type=bogus`, { token: buyer })).status).toBe(400);
    const wild = await h.json<Json>("GET", `${R}/packages?q=%25`, { token: buyer });
    expect((wild.body.data as Json).packages).toEqual([]);
  });
});

describe("entitlements and downloads", () => {
  it("needs the download scope and an active entitlement; acquiring is idempotent", async () => {
    await publish("acme/dl", "1.0.0");
    const other = await h.user();
    const tok = (await h.pat(other, { scopes: ["read", "purchase", "download"] })).token;
    const noEnt = await h.json<Json>("POST", `${R}/downloads`, { token: tok, body: { name: "acme/dl" } });
    expect(noEnt.status).toBe(403);
    expect(JSON.stringify(noEnt.body)).toContain("entitlement");
    const first = await h.json<Json>("POST", `${R}/entitlements`, { token: tok, body: { name: "acme/dl" } });
    expect(first.status).toBe(201);
    expect(first.body.data).toMatchObject({ name: "acme/dl", status: "active" });
    const again = await h.json<Json>("POST", `${R}/entitlements`, { token: tok, body: { name: "acme/dl" } });
    expect(again.status).toBe(200);
    expect((again.body.data as Json).entitlementId).toBe((first.body.data as Json).entitlementId);
    const list = await h.json<Json>("GET", `${R}/entitlements`, { token: tok });
    expect(((list.body.data as Json).entitlements as Json[]).map((e) => e.name)).toEqual(["acme/dl"]);
    const noDownload = (await h.pat(other, { scopes: ["read", "purchase"] })).token;
    const refused = await h.json<Json>("POST", `${R}/downloads`, {
      token: noDownload,
      body: { name: "acme/dl" },
    });
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).toContain("Missing required scope: download");
    const noPurchase = (await h.pat(other, { scopes: ["read", "download"] })).token;
    const np = await h.json("POST", `${R}/entitlements`, { token: noPurchase, body: { name: "acme/dl" } });
    expect(np.status).toBe(403);
    expect((await h.json("POST", `${R}/downloads`, { token: tok, body: { name: "acme/dl" } })).status).toBe(
      201,
    );
    const v = await h.json("POST", `${R}/downloads`, {
      token: tok,
      body: { name: "acme/dl", version: "9.9.9" },
    });
    expect(v.status).toBe(404);
  });

  it("a priced listing without a wallet is 402 PAYMENT_REQUIRED", async () => {
    await publish("acme/priced", "1.0.0", "?priceCents=500");
    const r = await h.json<Json>("POST", `${R}/entitlements`, {
      token: buyer,
      body: { name: "acme/priced" },
    });
    expect(r.status).toBe(402);
    expect((r.body.error as Json).code).toBe("PAYMENT_REQUIRED");
    // The vendor's own team gets its own listing without paying.
    const own = await h.json("POST", `${R}/entitlements`, { token: sell, body: { name: "acme/priced" } });
    expect(own.status).toBe(201);
  });

  it("the signed URL serves the archive for 5 minutes; expired or altered → 403", async () => {
    const { id, zip } = await publish("acme/url", "2.0.0");
    await h.json("POST", `${R}/entitlements`, { token: buyer, body: { name: "acme/url" } });
    const dl = await h.json<Json>("POST", `${R}/downloads`, { token: buyer, body: { name: "acme/url" } });
    const url = new URL((dl.body.data as Json).url as string);
    expect(url.origin).toBe(BASE);
    expect(url.pathname).toBe(`${R}/blobs/${id}`);
    const get = (u: string) => h.app.request(u);
    const ok = await get(url.toString());
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/zip");
    expect(sha(new Uint8Array(await ok.arrayBuffer()))).toBe(sha(zip));

    const sig = url.searchParams.get("sig") as string;
    const expires = Number(url.searchParams.get("expires"));
    const flipped = `${sig.slice(0, -1)}${sig.endsWith("0") ? "1" : "0"}`;
    const variants = [
      `${BASE}${R}/blobs/${id}?expires=${expires}&sig=${flipped}`,
      `${BASE}${R}/blobs/${id}?expires=${expires + 3600}&sig=${sig}`,
      `${BASE}${R}/blobs/${id}?expires=${expires}`,
      `${BASE}${R}/blobs/${id}`,
      `${BASE}${R}/blobs/${id}x?expires=${expires}&sig=${sig}`,
    ];
    for (const v of variants) expect((await get(v)).status, v).toBe(403);
    clock.advance(301_000);
    const expired = await get(url.toString());
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as Json).ok).toBe(false);
  });

  it("a blob altered on disk after publish is served as stored, and the statement keeps the original hash", async () => {
    const { zip } = await publish("acme/altered", "1.0.0");
    await h.json("POST", `${R}/entitlements`, { token: buyer, body: { name: "acme/altered" } });
    const file = join(h.dataDir, "blobs", sha(zip));
    const original = readFileSync(file);
    const altered = Buffer.from(original);
    altered[altered.length - 30] = (altered[altered.length - 30] ?? 0) ^ 0xff;
    writeFileSync(file, altered);
    const dl = await h.json<Json>("POST", `${R}/downloads`, { token: buyer, body: { name: "acme/altered" } });
    const data = dl.body.data as Json;
    const release = data.release as Json;
    expect(release.sha256).toBe(sha(zip));
    expect((JSON.parse(release.statement as string) as Json).sha256).toBe(sha(zip));
    const served = new Uint8Array(await (await h.app.request(data.url as string)).arrayBuffer());
    expect(sha(served)).toBe(sha(altered));
    expect(sha(served)).not.toBe(release.sha256);
  });
});

describe("audit", () => {
  it("records publish, scan outcome, acquire and download", async () => {
    const rows = await h.s.db.db.selectFrom("audit_events").select("action").execute();
    const actions = new Set(rows.map((r) => r.action));
    for (const a of [
      "registry.vendor.created",
      "registry.release.uploaded",
      "registry.release.scanned",
      "registry.release.published",
      "registry.entitlement.created",
      "registry.download.created",
      "registry.blob.served",
    ])
      expect(actions, a).toContain(a);
  });
});
