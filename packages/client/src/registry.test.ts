// RegistryClient against the real wired server in process (sandboxed scanner included): publish, acquire,
// download, verify against the well-known key; typed errors with the envelope's details.
import { createHash, createPublicKey, verify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePackage } from "../../../apps/server/src/registry/test-support/packages.js";
import { BASE, createHarness, type Harness } from "../../../apps/server/src/test-support/harness.js";
import { MogplexApiError } from "./errors.js";
import { RegistryClient } from "./registry.js";

let h: Harness;
let seller: RegistryClient;
let buyer: RegistryClient;

const clientFor = (token?: string) =>
  new RegistryClient({
    baseUrl: `${BASE}/`,
    ...(token ? { token } : {}),
    fetch: ((input: string | URL | Request, init?: RequestInit) =>
      Promise.resolve(h.app.request(String(input), init))) as typeof fetch,
  });

async function failure(p: Promise<unknown>): Promise<MogplexApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MogplexApiError);
  return err as MogplexApiError;
}

beforeAll(async () => {
  h = await createHarness();
  const s = await h.user();
  seller = clientFor((await h.pat(s, { scopes: ["read", "sell", "purchase", "download"] })).token);
  const b = await h.user();
  buyer = clientFor((await h.pat(b, { scopes: ["read", "purchase", "download"] })).token);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe("RegistryClient", () => {
  it("publishes, acquires, downloads and verifies a release", async () => {
    expect(await seller.createVendor({ slug: "tools", name: "Tools" })).toMatchObject({ slug: "tools" });
    expect((await buyer.getVendor("tools")).name).toBe("Tools");
    const zip = await makePackage({ name: "tools/lint", version: "0.1.0" });
    const up = await seller.uploadRelease(zip);
    expect(up).toMatchObject({ name: "tools/lint", version: "0.1.0", scanStatus: "queued" });
    await h.s.registry.scans.runOnce();
    expect((await seller.getRelease(up.releaseId)).scanStatus).toBe("passed");
    expect((await buyer.searchPackages({ q: "lint" })).packages.map((p) => p.name)).toEqual(["tools/lint"]);
    expect((await buyer.getPackage("tools/lint")).releases[0]?.version).toBe("0.1.0");
    expect((await buyer.acquire("tools/lint")).status).toBe("active");
    expect((await buyer.listEntitlements()).entitlements).toHaveLength(1);
    const dl = await buyer.createDownload({ name: "tools/lint" });
    const bytes = await clientFor().fetchBlob(dl.url);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(dl.release.sha256);
    const key = await clientFor().getRegistryKey();
    expect(key.keyId).toBe(dl.release.keyId);
    const pub = createPublicKey({
      key: Buffer.concat([
        Buffer.from("302a300506032b6570032100", "hex"),
        Buffer.from(key.publicKey, "base64"),
      ]),
      format: "der",
      type: "spki",
    });
    expect(
      verify(null, Buffer.from(dl.release.statement), pub, Buffer.from(dl.release.signature, "base64")),
    ).toBe(true);
  });

  it("failures are MogplexApiError with status and code", async () => {
    const zip = await makePackage({ name: "tools/priced", version: "1.0.0" });
    await seller.uploadRelease(zip, { priceCents: 250 });
    await h.s.registry.scans.runOnce();
    const paid = await failure(buyer.acquire("tools/priced"));
    expect(paid).toMatchObject({ status: 402, code: "PAYMENT_REQUIRED" });
    const missing = await failure(buyer.getPackage("tools/none"));
    expect(missing).toMatchObject({ status: 404, code: "NOT_FOUND" });
    const bad = await failure(clientFor().fetchBlob(`${BASE}/api/v1/registry/blobs/x?expires=1&sig=00`));
    expect(bad).toMatchObject({ status: 403, code: "FORBIDDEN" });
    const noScope = await failure(buyer.uploadRelease(zip));
    expect(noScope).toMatchObject({ status: 403, code: "FORBIDDEN" });
  });
});
