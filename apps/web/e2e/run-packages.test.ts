// In Chromium: the start form's packages field. A package the member can't install is refused with the server's
// message naming it (nothing started); a published one starts the run with exactly that package, which the run
// page's details then show.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publish, skill, vendor } from "../../server/src/run-packages/test-support/publish.js";
import { newPage, type Stack, signIn, startStack, submitStart, Watcher } from "./support.js";

let stack: Stack;
let context: BrowserContext;
let page: Page;
const watcher = new Watcher();

beforeAll(async () => {
  stack = await startStack();
  const owner = await stack.h.user({ team: "acme" });
  await stack.h.repo(owner.teamId, "acme/web");
  await publish(stack.h, await vendor(stack.h, "guides"), await skill("guides/review", "1.2.0", "Review.\n"));
  const member = await stack.h.user({ team: "acme", role: "member" });
  ({ context, page } = await newPage(stack, watcher));
  await signIn(page, member);
}, 120_000);
afterAll(async () => {
  await context?.close();
  await stack?.close();
});

describe("packages on the start form", () => {
  it("refuses a package the server does not publish, naming it, then starts a run with a published one", async () => {
    await page.getByRole("link", { name: "Runs" }).click();
    const form = page.getByRole("form", { name: "Start a run" });
    await form.waitFor();
    await form.getByLabel("Prompt").fill("review the diff");
    await form.getByLabel("Packages (optional)").fill("guides/review@1.2.0, guides/nope@1.0.0");
    const refused = await submitStart(page);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ packages: ["guides/review@1.2.0", "guides/nope@1.0.0"] });
    await form.getByText("packages: guides/nope@1.0.0: no published release of that package").waitFor();
    expect(await stack.h.s.db.db.selectFrom("runs").select("id").execute()).toEqual([]);

    await form.getByLabel("Packages (optional)").fill("guides/review@1.2.0 guides/review@1.2.0");
    expect((await submitStart(page)).status).toBe(202);
    await page.waitForURL(/\/runs\/[^/?]+$/);
    const runs = await stack.h.s.db.db.selectFrom("runs").select(["packages", "source"]).execute();
    expect(runs).toEqual([{ packages: JSON.stringify(["guides/review@1.2.0"]), source: "web" }]);
    // The run page's details name them.
    const details = page.getByRole("region", { name: "Details" });
    await expect.poll(() => details.getByTestId("run-packages").textContent()).toBe("guides/review@1.2.0");
    watcher.assertClean();
  });
});
