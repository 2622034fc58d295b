// In Chromium against a real server: requests through the model endpoint (a scripted OpenAI-compatible upstream)
// show on Settings → Usage per member, model and day; an owner sets the monthly budget there and the endpoint then
// answers 402; a member sees only their own usage and no budget form.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ScriptedModel,
  startScriptedModel,
} from "../../server/src/engine/test-support/scripted-model.js";
import type { TestUser } from "../../server/src/test-support/harness.js";
import {
  assertNoHorizontalScroll,
  newPage,
  type Stack,
  shoot,
  signIn,
  startStack,
  Watcher,
} from "./support.js";

const MODEL = "openai-compatible/scripted-coder";
let stack: Stack;
let model: ScriptedModel;
let context: BrowserContext;
let page: Page;
const watcher = new Watcher();
let owner: TestUser;
let member: TestUser;

async function complete(u: TestUser, marker: string, usage: { prompt: number; completion: number }) {
  model.on(marker, [{ text: "ok", usage }]);
  const { token } = await stack.h.pat(u);
  return stack.h.json("POST", "/api/v1/mogplex/llm/v1/chat/completions", {
    token,
    body: { model: MODEL, messages: [{ role: "user", content: marker }] },
  });
}

beforeAll(async () => {
  model = await startScriptedModel();
  stack = await startStack({
    env: { MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL, MOGPLEX_DEFAULT_MODEL: MODEL },
  });
  owner = await stack.h.user({ team: "acme" });
  member = await stack.h.user({ team: "acme", role: "member" });
  expect((await complete(owner, "E2E-USAGE-OWNER", { prompt: 1200, completion: 340 })).status).toBe(200);
  expect((await complete(member, "E2E-USAGE-MEMBER", { prompt: 55, completion: 7 })).status).toBe(200);
  ({ context, page } = await newPage(stack, watcher));
}, 60_000);
afterAll(async () => {
  await context?.close();
  await stack?.close();
  await model?.close();
});

const cell = (region: string, row: RegExp, col: number) =>
  page.getByRole("region", { name: region }).getByRole("row", { name: row }).getByRole("cell").nth(col);

describe("Settings → Usage in the browser", { timeout: 60_000 }, () => {
  it("an owner sees every member's tokens and sets the budget the endpoint enforces", async () => {
    await signIn(page, owner);
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Usage" }).click();
    await page.getByRole("heading", { level: 1, name: "Usage" }).waitFor();
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    expect(await cell("Per member", new RegExp(esc(owner.email)), 2).textContent()).toBe("1,200");
    expect(await cell("Per member", new RegExp(esc(member.email)), 3).textContent()).toBe("7");
    expect(await cell("Per model", new RegExp(esc(MODEL)), 1).textContent()).toBe("2");
    expect(await cell("Per model", new RegExp(esc(MODEL)), 2).textContent()).toBe("1,255");
    await page.getByRole("region", { name: "Per day" }).getByRole("row").nth(1).waitFor();
    await assertNoHorizontalScroll(page);
    await shoot(page, "settings-usage");

    await page.getByLabel("Monthly budget (USD)").fill("0");
    await page.getByRole("button", { name: "Save budget" }).click();
    await page.getByText("(used up: requests are refused until it is raised or the month ends)").waitFor();
    const refused = await complete(member, "E2E-USAGE-OVER", { prompt: 1, completion: 1 });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ ok: false, error: { code: "BUDGET_EXCEEDED" } });
    await page.getByLabel("Monthly budget (USD)").fill("");
    await page.getByRole("button", { name: "Save budget" }).click();
    await expect
      .poll(async () => (await page.locator(".facts dd").nth(1).textContent())?.trim())
      .toBe("None");
    watcher.assertClean();
  });

  it("a member sees only their own usage and cannot change the budget", async () => {
    await context.clearCookies();
    await signIn(page, member);
    await page.goto("/settings/usage");
    await page.getByRole("heading", { level: 1, name: "Usage" }).waitFor();
    await page.getByText("Your own usage; owners and admins see the whole team's.").waitFor();
    expect(await page.getByRole("region", { name: "Per member" }).count()).toBe(0);
    expect(await cell("Per model", /scripted-coder/, 2).textContent()).toBe("55");
    expect(await page.getByLabel("Monthly budget (USD)").count()).toBe(0);
    await page.getByText("A team owner or admin can change the budget.").waitFor();
    watcher.assertClean();
  });
});
