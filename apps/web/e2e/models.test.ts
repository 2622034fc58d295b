// In Chromium against a real server and run engine (scripted OpenAI-compatible model, real sandbox): an owner
// picks the team's default model on Settings → Models and a run started without a model from the runs page uses
// it; a provider key is stored write-only (never on a page again); the allowlist refuses a model with 403 and an
// unrunnable model is refused with 400, both shown on the start form; a repo's run settings are saved from its page.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEngine } from "../../server/src/engine/index.js";
import { addRepo, bareRemote, untilTerminal } from "../../server/src/engine/test-support/engine.js";
import {
  type ScriptedModel,
  startScriptedModel,
} from "../../server/src/engine/test-support/scripted-model.js";
import type { Worker } from "../../server/src/engine/worker.js";
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

const KEY = "sk-ant-BROWSER-SENTINEL-93f1";
let stack: Stack;
let model: ScriptedModel;
let worker: Worker;
let context: BrowserContext;
let page: Page;
const watcher = new Watcher();
let owner: TestUser;
let repoId = "";

beforeAll(async () => {
  model = await startScriptedModel({ models: ["scripted-coder", "scripted-large"] });
  stack = await startStack({
    env: {
      MOGPLEX_RUN_START_LIMITS: "1000/1m,1000/1h,1000/1d",
      MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
      MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
      MOGPLEX_SANDBOX_PROCESSES: "128",
    },
  });
  worker = await startEngine(stack.h.s, { pollMs: 200 });
  owner = await stack.h.user({ team: "acme" });
  repoId = await addRepo(stack.h, owner.teamId, bareRemote(stack.h.dataDir));
  ({ context, page } = await newPage(stack, watcher));
  await signIn(page, owner);
}, 60_000);
afterAll(async () => {
  await context?.close();
  await worker?.stop();
  await stack?.close();
  await model?.close();
});

async function fact(name: string): Promise<string> {
  const dd = page
    .locator(".facts dt", { hasText: new RegExp(`^${name}$`) })
    .locator("xpath=following-sibling::dd[1]");
  return ((await dd.textContent()) ?? "").trim();
}

async function startFromForm(prompt: string, modelId = ""): Promise<number> {
  await page.goto("/runs");
  const form = page.getByRole("form", { name: "Start a run" });
  await form.getByLabel("Prompt").fill(prompt);
  await form.getByLabel("Model (optional)").fill(modelId);
  const [res] = await Promise.all([
    page.waitForResponse(
      (r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/api/web/runs",
    ),
    page.getByRole("button", { name: "Start run" }).click(),
  ]);
  return res.status();
}

describe("model settings in the browser", { timeout: 60_000 }, () => {
  it("the default model chosen on the settings page is what a run without a model uses", async () => {
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Models" }).click();
    await page.getByRole("heading", { level: 1, name: "Models" }).waitFor();
    expect(await fact("Without a model")).toBe("openai-compatible/scripted-coder");
    const catalogue = page.getByRole("region", { name: "Model catalogue" });
    await catalogue.getByText("openai-compatible/scripted-large", { exact: true }).waitFor();
    await assertNoHorizontalScroll(page);
    await shoot(page, "settings-models");

    await page.getByLabel("Default model", { exact: true }).selectOption("openai-compatible/scripted-large");
    await page.getByRole("button", { name: "Save default model" }).click();
    await expect.poll(() => fact("Team default")).toBe("openai-compatible/scripted-large");
    expect(await fact("Without a model")).toBe("openai-compatible/scripted-large");

    model.on("E2E-DEFAULT-MODEL", [{ text: "Nothing to change." }]);
    expect(await startFromForm("E2E-DEFAULT-MODEL: look around")).toBe(202);
    await page.waitForURL(/\/runs\/[^/?]+$/);
    const runId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop() ?? "");
    const done = await untilTerminal(stack.h, owner.teamId, runId, 30_000);
    expect(done.status).toBe("success");
    expect(done.model).toBe("openai-compatible/scripted-large");
    const calls = model.requests.filter((r) => JSON.stringify(r.messages).includes("E2E-DEFAULT-MODEL"));
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((r) => r.model === "scripted-large")).toBe(true);
    watcher.assertClean();
  });

  it("stores a provider key write-only", async () => {
    await page.goto("/settings/models");
    const keys = page.getByRole("form", { name: "Store a provider key" });
    await keys.getByLabel("Provider").selectOption("anthropic");
    await keys.getByLabel("API key").fill(KEY);
    await keys.getByRole("button", { name: "Store key" }).click();
    const row = page.getByRole("region", { name: "Provider keys" }).getByRole("row", { name: /^anthropic/ });
    await row.getByRole("button", { name: "Remove the anthropic key" }).waitFor();
    expect(await keys.getByLabel("API key").inputValue()).toBe("");
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Models" }).waitFor();
    await page.getByRole("button", { name: "Remove the anthropic key" }).waitFor();
    expect(await page.content()).not.toContain(KEY);
    const catalogue = page.getByRole("region", { name: "Model catalogue" });
    const sonnet = catalogue.getByRole("row", { name: /^anthropic\/claude-sonnet-4-5/ });
    expect(await sonnet.getByRole("cell").nth(2).textContent()).toBe("Yes");
  });

  it("shows the allowlist's 403 and an unrunnable model's 400 on the start form", async () => {
    await page.goto("/settings/models");
    await page.getByLabel("Only the models checked below").check();
    await page.getByLabel("openai-compatible/scripted-large").check();
    await page.getByRole("button", { name: "Save allowlist" }).click();
    const catalogue = page.getByRole("region", { name: "Model catalogue" });
    await expect
      .poll(async () =>
        catalogue
          .getByRole("row", { name: /^anthropic\/claude-sonnet-4-5/ })
          .getByRole("cell")
          .nth(3)
          .textContent(),
      )
      .toBe("No");

    // A long model id in the catalogue, the default's choices and the allowlist fits a phone and a desktop.
    const long = `openai-compatible/${"very-long-model-name-".repeat(8)}v2`;
    await stack.h.s.models.update(
      owner.teamId,
      { allowedModels: ["openai-compatible/scripted-large", long] },
      { actorType: "system", actorId: null },
    );
    await page.reload();
    await catalogue.getByText(long, { exact: true }).waitFor();
    await assertNoHorizontalScroll(page);

    expect(await startFromForm("not allowed", "anthropic/claude-sonnet-4-5")).toBe(403);
    await page.getByText("Model anthropic/claude-sonnet-4-5 is not in this team's model catalogue").waitFor();
    expect(await startFromForm("cannot run", "bogus/some-model")).toBe(400);
    await page.getByText(/Unknown model provider "bogus" in "bogus\/some-model"/).waitFor();
    watcher.assertClean();
  });

  it("saves a repo's run settings from its page", async () => {
    await page.goto("/repos");
    await page
      .getByRole("link", { name: /^acme\// })
      .first()
      .click();
    await page.getByRole("heading", { level: 2, name: "Run settings" }).waitFor();
    await page.getByLabel("Install command").fill("npm ci");
    await page.getByLabel("Dev command").fill("npm run dev");
    await page.getByLabel("Port").fill("80");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText(/^port: /).waitFor();
    await page.getByLabel("Port").fill("5173");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Saved. New runs use these settings.").waitFor();
    await assertNoHorizontalScroll(page);
    const repo = await stack.h.s.repos.get(owner.teamId, repoId);
    expect(repo).toMatchObject({ install_command: "npm ci", dev_command: "npm run dev", port: 5173 });
    watcher.assertClean();
  });
});
