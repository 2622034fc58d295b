// In Chromium: runs list and status filter, a run's timeline updating live as events arrive, usage, cancel.
import { randomUUID } from "node:crypto";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

let stack: Stack;
let context: BrowserContext;
let page: Page;
const watcher = new Watcher();
let owner: TestUser;
let token: string;
let repoId: string;

async function startRun(prompt: string): Promise<string> {
  const res = await fetch(`${stack.base}/api/v1/mogplex/runs`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "idempotency-key": randomUUID(),
    },
    body: JSON.stringify({ repoId, prompt }),
  });
  if (res.status !== 202) throw new Error(`run start failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: { run: { id: string } } }).data.run.id;
}

beforeAll(async () => {
  stack = await startStack({ env: { MOGPLEX_RUN_START_LIMITS: "1000/1m,1000/1h,1000/1d" } });
  owner = await stack.h.user({ team: "acme" });
  token = (await stack.h.pat(owner)).token;
  repoId = await stack.h.repo(owner.teamId, "acme/api");
  ({ context, page } = await newPage(stack, watcher));
  await signIn(page, owner);
});
afterAll(async () => {
  await context?.close();
  await stack?.close();
});

/** The text of one entry of the run's Details list. */
async function factOf(name: string): Promise<string> {
  const dd = page
    .locator(".facts dt", { hasText: new RegExp(`^${name}$`) })
    .locator("xpath=following-sibling::dd[1]");
  return ((await dd.textContent()) ?? "").trim();
}

describe("runs in the browser", () => {
  let live = "";
  let other = "";

  it("lists the team's runs by their prompt, with status, repo, model and age, and filters by status", async () => {
    other = await startRun("tidy the README");
    live = await startRun("add a health check endpoint\n\nUnder /healthz, answering 200.");
    await fetch(`${stack.base}/api/v1/mogplex/runs/${other}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    await page.getByRole("link", { name: "Runs" }).click();
    const rows = page.getByRole("region", { name: "Runs" }).getByRole("row");
    await rows.nth(2).waitFor();
    expect(await rows.count()).toBe(3);
    // Newest first; each row names its run by the prompt's first line.
    const cells = async (i: number) => rows.nth(i).getByRole("cell").allTextContents();
    expect(await cells(1)).toEqual([
      "add a health check endpoint",
      "pending",
      "acme/api",
      "Default (chosen at start)",
      "api",
      "just now",
      "—",
    ]);
    expect((await cells(2))[0]).toBe("tidy the README");
    expect(await page.getByRole("columnheader").allTextContents()).toEqual([
      "Prompt",
      "Status",
      "Repo",
      "Model",
      "Source",
      "Created",
      "Duration",
    ]);
    await shoot(page, "runs");
    await assertNoHorizontalScroll(page);
    await page.getByLabel("Status").selectOption("cancelled");
    await page.waitForURL(/\/runs\?status=cancelled$/);
    await page.getByRole("link", { name: "tidy the README" }).waitFor();
    expect(await page.getByRole("link", { name: "add a health check endpoint" }).count()).toBe(0);
    await page.getByLabel("Status").selectOption("running");
    await page.getByText("No running runs.").waitFor();
    await page.getByLabel("Status").selectOption("");
    watcher.assertClean();
  });

  it("shows a run's timeline and adds events live as they arrive, without a reload", async () => {
    await page.getByRole("link", { name: "add a health check endpoint" }).click();
    await page.waitForURL(new RegExp(`/runs/${live}$`));
    // The page is titled by the prompt and shows it whole; the model is the default until the run starts.
    await page.getByRole("heading", { level: 1, name: /^add a health check endpoint/ }).waitFor();
    expect(await page.getByRole("region", { name: "Prompt" }).textContent()).toBe(
      "Promptadd a health check endpoint\n\nUnder /healthz, answering 200.",
    );
    expect(await factOf("Model")).toBe("Default (chosen at start)");
    await page.getByText("Live: new events appear as they happen.").waitFor();
    await page.getByText("No events yet.").waitFor();
    const { h } = stack;
    await h.s.db.db
      .updateTable("runs")
      .set({
        status: "running",
        // What the engine records as the run starts: the model it resolved to.
        model: "openai-compatible/scripted-coder",
        started_at: Date.now(),
        input_tokens: 1200,
        output_tokens: 345,
        cost_usd: 0.0123,
        // The repo's dev server, served by the control plane (the engine sets it once the preview starts).
        preview_url: "/preview/sbx-live/",
      })
      .where("id", "=", live)
      .execute();
    await h.s.events.append(live, [
      { type: "started", message: "Sandbox ready" },
      { type: "status_changed", message: "pending -> running", payload: { from: "pending", to: "running" } },
    ]);
    const items = page.locator(".timeline > li");
    await items.nth(1).waitFor();
    expect(await items.nth(0).textContent()).toContain("Sandbox ready");
    // The status change refreshes the details: status badge and usage follow the run.
    await page.getByTestId("usage").getByText("1,200").waitFor();
    await page.getByRole("heading", { level: 1 }).getByText("running").waitFor();
    expect(await factOf("Model")).toBe("openai-compatible/scripted-coder");
    // The preview opens in a tab of its own (no window.opener for the dev server's code).
    const preview = page.getByRole("link", { name: "Open the dev server" });
    expect(await preview.getAttribute("href")).toBe("/preview/sbx-live/");
    expect(await preview.getAttribute("target")).toBe("_blank");
    expect(await preview.getAttribute("rel")).toBe("noopener noreferrer");
    await h.s.events.append(live, [
      {
        type: "tool_started",
        toolName: "bash",
        message: "npm test",
        payload: { cwd: "/work", env: { TOKEN: "x" } },
      },
      { type: "log", message: "using key sk-abcdefghijklmnopqrstuvwx1234 for the call" },
    ]);
    await items.nth(3).waitFor();
    const text = (await page.locator(".timeline").textContent()) ?? "";
    expect(text).toContain("npm test");
    expect(text).not.toContain("sk-abcdefghijklmnopqrstuvwx1234");
    // (Typed by hand: the check config has no DOM library, and React's global stubs declare an empty Element.)
    const seqs = (els: unknown[]) =>
      els.map((e) => (e as { getAttribute(name: string): string | null }).getAttribute("data-seq"));
    expect(await items.evaluateAll(seqs)).toEqual(["1", "2", "3", "4"]);
    await shoot(page, "run-live");
    await assertNoHorizontalScroll(page);
    watcher.assertClean();
  });

  it("cancels the run after confirmation; the timeline ends with it", async () => {
    await page.getByRole("button", { name: "Cancel run" }).click();
    const dialog = page.getByRole("dialog", { name: "Cancel this run?" });
    await dialog.getByRole("button", { name: "Keep it running" }).waitFor();
    await dialog.getByRole("button", { name: "Cancel run" }).click();
    await dialog.waitFor({ state: "detached" });
    // No run engine runs here, so the server cancels on the spot and says so in the stream.
    await page.getByText("The run has ended; this is its whole timeline.").waitFor();
    await page.getByRole("heading", { level: 1 }).getByText("cancelled").waitFor();
    expect(await page.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
    const types = await page.locator(".timeline > li .badge").allTextContents();
    expect(types.slice(-3)).toEqual(["cancel_requested", "status_changed", "cancelled"]);
    await shoot(page, "run-ended");
    watcher.assertClean();
  });

  it("shows the envelope's message and request id for a run that doesn't exist", async () => {
    await page.goto("/runs/does-not-exist");
    const alert = page.getByRole("alert").first();
    await alert.waitFor();
    expect(await alert.textContent()).toContain("Run not found");
    expect(await alert.textContent()).toMatch(/Request id: req_/);
    await shoot(page, "run-not-found");
    watcher.assertClean();
  });
});

describe("a team without repos", () => {
  it("says how to add a repo instead of pointing at a form that isn't there; with a repo, the form appears", async () => {
    const lonely = await stack.h.user({ team: "lonely" });
    const w = new Watcher();
    const { context: c, page: p } = await newPage(stack, w);
    try {
      await signIn(p, lonely);
      await p.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
      const empty = p.getByText("No runs yet. Runs work on a repo, and this team has none yet.");
      await empty.waitFor();
      const text = (await p.locator("main").textContent()) ?? "";
      expect(text).toContain("mogplex admin add-repo --team <team> --name owner/name --path <git repo>");
      expect(text).not.toContain("form above");
      expect(await p.getByRole("heading", { name: "Start a run" }).count()).toBe(0);
      await shoot(p, "runs-no-repos");
      await assertNoHorizontalScroll(p);

      await stack.h.repo(lonely.teamId, "lonely/app");
      await p.reload();
      await p.getByRole("heading", { name: "Start a run" }).waitFor();
      await p.getByText("Start one with the form above or from the CLI").waitFor();
      w.assertClean();
    } finally {
      await c.close();
    }
  });
});
