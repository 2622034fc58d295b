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

describe("runs in the browser", () => {
  let live = "";
  let other = "";

  it("lists the team's runs with their repo, and filters by status", async () => {
    other = await startRun("tidy the README");
    live = await startRun("add a health check endpoint");
    await fetch(`${stack.base}/api/v1/mogplex/runs/${other}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    await page.getByRole("link", { name: "Runs" }).click();
    const rows = page.getByRole("region", { name: "Runs" }).getByRole("row");
    await rows.nth(2).waitFor();
    expect(await rows.count()).toBe(3);
    expect(await rows.nth(1).textContent()).toContain("acme/api");
    await shoot(page, "runs");
    await assertNoHorizontalScroll(page);
    await page.getByLabel("Status").selectOption("cancelled");
    await page.waitForURL(/\/runs\?status=cancelled$/);
    await page.getByRole("link", { name: other.slice(0, 10) }).waitFor();
    expect(await page.getByRole("link", { name: live.slice(0, 10) }).count()).toBe(0);
    await page.getByLabel("Status").selectOption("running");
    await page.getByText("No running runs.").waitFor();
    await page.getByLabel("Status").selectOption("");
    watcher.assertClean();
  });

  it("shows a run's timeline and adds events live as they arrive, without a reload", async () => {
    await page.getByRole("link", { name: live.slice(0, 10) }).click();
    await page.waitForURL(new RegExp(`/runs/${live}$`));
    await page.getByText("Live: new events appear as they happen.").waitFor();
    await page.getByText("No events yet.").waitFor();
    const { h } = stack;
    await h.s.db.db
      .updateTable("runs")
      .set({
        status: "running",
        started_at: Date.now(),
        input_tokens: 1200,
        output_tokens: 345,
        cost_usd: 0.0123,
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
    expect(await items.evaluateAll((els) => els.map((e) => e.getAttribute("data-seq")))).toEqual([
      "1",
      "2",
      "3",
      "4",
    ]);
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
