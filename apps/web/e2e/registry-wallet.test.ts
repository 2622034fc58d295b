// In Chromium: an owner sets a token's spend policy on the Spend policies page; a purchase with that token over
// the threshold answers 402 with an approvalUrl, which opens the approval page in the web app (the team named
// in the link); the owner approves there, the token's retry goes through once, and the wallet page shows the
// charge. A priced listing offers no in-browser Acquire (a session has no spend policy).
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePackage } from "../../server/src/registry/test-support/packages.js";
import { fund, pendingApproval } from "../../server/src/registry/wallet/test-support/fixtures.js";
import type { TestUser } from "../../server/src/test-support/harness.js";
import { newPage, type Stack, shoot, signIn, startStack, Watcher } from "./support.js";

let stack: Stack;
let context: BrowserContext;
let page: Page;
const watcher = new Watcher();
const R = "/api/v1/registry";

beforeAll(async () => {
  stack = await startStack({ env: { MOGPLEX_RUN_START_LIMITS: "1000/1m,1000/1h,1000/1d" } });
  stack.h.s.registry.scans.start();
  ({ context, page } = await newPage(stack, watcher));
}, 60_000);
afterAll(async () => {
  await context?.close();
  await stack?.close();
});

async function call(
  method: string,
  path: string,
  token: string,
  o: { json?: unknown; zip?: Buffer } = {},
): Promise<{ status: number; body: { data?: Record<string, unknown>; error?: Record<string, unknown> } }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  let body: string | Uint8Array | undefined;
  if (o.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(o.json);
  }
  if (o.zip) {
    headers["content-type"] = "application/zip";
    body = new Uint8Array(o.zip);
  }
  const res = await fetch(`${stack.base}${path}`, { method, headers, body });
  return { status: res.status, body: (await res.json()) as never };
}

/** A vendor team publishes `name` at `priceCents` through the public API and waits for the scan to pass. */
async function publishPriced(name: string, priceCents: number): Promise<void> {
  const seller = await stack.h.user();
  const sell = (await stack.h.pat(seller, { scopes: ["read", "sell"] })).token;
  const vendor = name.split("/")[0];
  expect((await call("POST", `${R}/vendors`, sell, { json: { slug: vendor, name: "Paid Co" } })).status).toBe(
    201,
  );
  const up = await call("POST", `${R}/releases?priceCents=${priceCents}`, sell, {
    zip: await makePackage({ name }),
  });
  expect(up.status).toBe(202);
  const id = String(up.body.data?.releaseId);
  for (let i = 0; i < 300; i++) {
    const r = await call("GET", `${R}/releases/${id}`, sell);
    if (r.body.data?.scanStatus === "passed") return;
    expect(["queued", "scanning"]).toContain(r.body.data?.scanStatus);
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error("the release was not scanned in time");
}

describe("spend policies, approvals and the wallet in the web app", () => {
  let owner: TestUser;
  let buyer: { id: string; token: string };

  it("policy set on its page → 402 approvalUrl → the approval page → Approve → the retry is charged once", async () => {
    await publishPriced("paid-co/big", 1500);
    owner = await stack.h.user();
    const member = await stack.h.user({ team: owner.team, role: "member" });
    buyer = await stack.h.pat(member, { name: "ci buyer", scopes: ["read", "purchase", "download"] });
    await fund(stack.h, owner.teamId, 5000);

    await signIn(page, owner);
    await page.goto("/registry/spend-policies");
    await page.getByRole("heading", { level: 1, name: "Spend policies" }).waitFor();
    await page.getByRole("button", { name: "Edit the policy of ci buyer" }).click();
    await page.getByLabel("Owner approval above").fill("10");
    await page.getByRole("button", { name: "Save policy" }).click();
    await page.getByText("Saved the policy of “ci buyer”.").waitFor();
    await page.getByRole("cell", { name: "Owner approval above $10.00" }).waitFor();

    const acquire = () => call("POST", `${R}/entitlements`, buyer.token, { json: { name: "paid-co/big" } });
    const refused = await acquire();
    expect(refused.status).toBe(402);
    const url = String((refused.body.error?.details as { approvalUrl?: string } | undefined)?.approvalUrl);
    expect(url.startsWith(`${stack.base}/registry/approvals/`)).toBe(true);

    await page.goto("/registry/approvals");
    await page.getByRole("link", { name: "paid-co/big" }).waitFor();
    await page.goto(url);
    await page.getByRole("heading", { level: 1, name: "Approve paid-co/big?" }).waitFor();
    await expect(page.getByText("$15.00").count()).resolves.toBeGreaterThan(0);
    await shoot(page, "registry-approval");
    await page.getByRole("button", { name: "Approve $15.00" }).click();
    await page
      .getByText("Approved: the same token's retry of this purchase now goes through, once.")
      .waitFor();

    const paid = await acquire();
    expect(paid.status).toBe(201);
    expect((await acquire()).status).toBe(200);

    await page.goto("/registry/wallet");
    await page.getByRole("heading", { level: 1, name: "Wallet" }).waitFor();
    await expect(page.getByTestId("balance").textContent()).resolves.toBe("$35.00");
    await page.getByRole("cell", { name: "paid-co/big" }).waitFor();
    await shoot(page, "registry-wallet");
    watcher.assertClean();
  }, 180_000);

  it("a priced listing's page sends buyers to mog (no in-browser purchase)", async () => {
    await page.goto("/registry/packages/paid-co/big");
    await page.getByRole("heading", { level: 1, name: "paid-co/big" }).waitFor();
    await page.getByText("It is bought with").waitFor();
    await expect(page.getByRole("button", { name: "Acquire" }).count()).resolves.toBe(0);
    watcher.assertClean();
  });

  it("an approval link names its team: the app switches to it; members can't decide; outsiders see not found", async () => {
    const { h } = stack;
    const id = await pendingApproval(h, owner);
    const link = `/registry/approvals/${id}?team=${owner.teamId}`;
    // An owner of this team whose other team is the one the app starts in.
    const both = await h.user();
    await h.s.db.db
      .transaction()
      .execute((trx) =>
        h.s.teams.addMember(trx, owner.teamId, both.userId, "owner", { actorType: "system", actorId: null }),
      );
    const visit = async (u: TestUser) => {
      const other = await newPage(stack, watcher);
      await signIn(other.page, u);
      await other.page.goto(link);
      return other;
    };
    const a = await newPage(stack, watcher);
    await signIn(a.page, both);
    await expect(a.page.getByLabel("Team").inputValue()).resolves.toBe(both.teamId);
    await a.page.goto(link);
    await a.page.getByRole("heading", { level: 1, name: /^Approve acme\/p\d+\?$/ }).waitFor();
    await expect(a.page.getByLabel("Team").inputValue()).resolves.toBe(owner.teamId);
    await a.page.getByRole("button", { name: "Deny" }).click();
    await a.page.getByText("Marked denied.").waitFor();
    await a.context.close();

    const member = await h.user({ team: owner.team, role: "member" });
    const m = await visit(member);
    await m.page.getByRole("heading", { level: 1, name: /^Approve acme\/p\d+\?$/ }).waitFor();
    await m.page.getByText("denied", { exact: true }).waitFor();
    await expect(m.page.getByRole("button", { name: /^Approve/ }).count()).resolves.toBe(0);
    await m.context.close();

    const outsider = await h.user();
    const o = await visit(outsider);
    await o.page.getByRole("heading", { level: 1, name: "Approval not found" }).waitFor();
    await o.context.close();
    watcher.assertClean();
  }, 120_000);
});
