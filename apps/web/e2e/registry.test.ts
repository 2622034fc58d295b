// In Chromium against a real server whose uploads are judged by the real sandboxed scanner (bubblewrap): a team
// owner creates a vendor, uploads a clean package from the vendor page and watches it reach `passed`, finds it
// in browse and sees its archive SHA-256; a package with a planted AWS key ends `failed` / `secret`, and the key
// is nowhere in the page's HTML.
import { createHash } from "node:crypto";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePackage, plantedAwsKey } from "../../server/src/registry/test-support/packages.js";
import type { TestUser } from "../../server/src/test-support/harness.js";
import { newPage, type Stack, shoot, signIn, startStack, Watcher } from "./support.js";

let stack: Stack;
let context: BrowserContext;
let page: Page;
const watcher = new Watcher();
let owner: TestUser;
const SCAN_WAIT = 90_000;

beforeAll(async () => {
  stack = await startStack({ env: { MOGPLEX_RUN_START_LIMITS: "1000/1m,1000/1h,1000/1d" } });
  // What mogplex serve does: the queue scans each upload as it arrives.
  stack.h.s.registry.scans.start();
  ({ context, page } = await newPage(stack, watcher));
  owner = await stack.h.user();
  await signIn(page, owner);
}, 60_000);
afterAll(async () => {
  await context?.close();
  await stack?.close();
});

async function uploadFromVendorPage(p: Page, zip: Buffer, file: string): Promise<void> {
  await p.goto("/registry/vendor");
  await p.getByRole("heading", { level: 1, name: "Vendor" }).waitFor();
  await p.getByLabel("Package zip").setInputFiles({ name: file, mimeType: "application/zip", buffer: zip });
  await p.getByRole("button", { name: "Upload", exact: true }).click();
}

describe("registry pages", () => {
  it("vendor → upload → live scan to passed → found in browse → listing shows the archive SHA-256", async () => {
    await page.goto("/registry/vendor");
    await page.getByRole("heading", { level: 1, name: "Vendor" }).waitFor();
    await page.getByLabel("Vendor slug").fill("acme-tools");
    await page.getByLabel("Display name").fill("Acme Tools");
    await page.getByRole("button", { name: "Create vendor" }).click();
    await page.getByText("Acme Tools", { exact: false }).first().waitFor();

    const zip = await makePackage({ name: "acme-tools/reviewer", description: "Reviews pull requests" });
    const sha256 = createHash("sha256").update(zip).digest("hex");
    await uploadFromVendorPage(page, zip, "reviewer.zip");
    const status = page.getByRole("status").filter({ hasText: "acme-tools/reviewer@1.0.0" });
    await status.getByText("Passed the scan and published.").waitFor({ timeout: SCAN_WAIT });
    await shoot(page, "registry-vendor-passed");

    await page.getByRole("link", { name: "Registry", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Registry" }).waitFor();
    await page.getByLabel("Search packages").fill("reviewer");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("link", { name: "acme-tools/reviewer" }).click();
    await page.getByRole("heading", { level: 1, name: "acme-tools/reviewer" }).waitFor();
    await expect(page.getByTestId("archive-sha256").first().textContent()).resolves.toBe(sha256);
    await expect(page.getByText("Reviews pull requests").count()).resolves.toBeGreaterThan(0);
    // Every file is listed with its hash.
    await page.getByText(/3 files and their SHA-256/).click();
    await page.getByRole("cell", { name: "SKILL.md" }).waitFor();
    await shoot(page, "registry-listing");

    // A free listing is acquired from its page and shows up among the entitlements.
    await page.getByRole("button", { name: "Acquire" }).click();
    await page.getByText("You have acme-tools/reviewer (active)").waitFor();
    await page.goto("/registry/entitlements");
    await page.getByRole("link", { name: "acme-tools/reviewer" }).waitFor();
    watcher.assertClean();
  }, 180_000);

  it("a package with a planted AWS key: failed / secret, and the key is nowhere in the page HTML", async () => {
    const key = plantedAwsKey();
    const readme = `# Setup\n\naws_access_key_id = ${key.id}\naws_secret_access_key = ${key.secret}\n`;
    const zip = await makePackage({ name: "acme-tools/leaky", readme });
    await uploadFromVendorPage(page, zip, "leaky.zip");
    const status = page.getByRole("status").filter({ hasText: "acme-tools/leaky@1.0.0" });
    await status.getByText("Refused by the scan; not published.").waitFor({ timeout: SCAN_WAIT });
    await expect(status.textContent()).resolves.toMatch(/failed/);
    await expect(status.getByText("Reason:").textContent()).resolves.toMatch(/secret/);
    const checkHtml = async () => {
      const html = await page.content();
      expect(html).not.toContain(key.id);
      expect(html).not.toContain(key.secret);
    };
    await checkHtml();
    await shoot(page, "registry-vendor-failed");

    // The team's listing page shows the refused release with its category only.
    await page.goto("/registry/packages/acme-tools/leaky");
    await page.getByRole("heading", { level: 1, name: "acme-tools/leaky" }).waitFor();
    await page.getByText("reason:").first().waitFor();
    await expect(page.locator(".scan-reason code").first().textContent()).resolves.toBe("secret");
    await checkHtml();
    // It is not published, so browse shows it to the team only as unpublished and nobody else at all.
    const outsider = await stack.h.user();
    const other = await newPage(stack, watcher);
    await signIn(other.page, outsider);
    await other.page.goto("/registry/packages/acme-tools/leaky");
    await other.page.getByText("Package not found").waitFor();
    await other.context.close();
    watcher.assertClean();
  }, 180_000);
});
