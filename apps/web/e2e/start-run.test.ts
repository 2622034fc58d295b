// In Chromium: a member starts a run from the runs page and lands on its live page (source web); the run-start
// limit shows with its retry time and a retry keeps its Idempotency-Key; a viewer gets no form.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestUser } from "../../server/src/test-support/harness.js";
import {
  assertNoHorizontalScroll,
  isStartRun,
  newPage,
  type Stack,
  shoot,
  signIn,
  startStack,
  submitStart,
  Watcher,
} from "./support.js";

let stack: Stack;
let context: BrowserContext;
let page: Page;
const watcher = new Watcher();
let member: TestUser;
let viewer: TestUser;
let repoId = "";
let started = "";
/** The Idempotency-Key of every run start the page sent, in order. */
const keys: string[] = [];

beforeAll(async () => {
  // One start a minute, so the second start from the form meets the limit.
  stack = await startStack({ env: { MOGPLEX_RUN_START_LIMITS: "1/1m,100/1h,100/1d" } });
  const owner = await stack.h.user({ team: "acme" });
  await stack.h.repo(owner.teamId, "acme/api");
  repoId = await stack.h.repo(owner.teamId, "acme/web");
  member = await stack.h.user({ team: "acme", role: "member" });
  viewer = await stack.h.user({ team: "acme", role: "viewer" });
  ({ context, page } = await newPage(stack, watcher));
  page.on("request", (r) => {
    if (isStartRun(r.method(), r.url())) keys.push(r.headers()["idempotency-key"] ?? "");
  });
  await signIn(page, member);
});
afterAll(async () => {
  await context?.close();
  await stack?.close();
});

const submit = async () => (await submitStart(page)).status;

describe("starting a run in the browser", () => {
  it("lets a member start a run from the runs page and lands on its live page", async () => {
    await page.getByRole("link", { name: "Runs" }).click();
    const form = page.getByRole("form", { name: "Start a run" });
    await form.waitFor();
    await assertNoHorizontalScroll(page);
    await shoot(page, "run-start-form");
    await form.getByLabel("Repo").selectOption({ label: "acme/web" });
    await form.getByLabel("Prompt").fill("add a health check endpoint");
    expect(await submit()).toBe(202);
    await page.waitForURL(/\/runs\/[^/?]+$/);
    started = decodeURIComponent(new URL(page.url()).pathname.split("/").pop() ?? "");
    await page.getByRole("heading", { level: 1, name: /^add a health check endpoint/ }).waitFor();
    await page.getByText(`Run ${started}`, { exact: true }).waitFor();
    const fact = (name: string) => page.locator(`dl.facts dt:text-is("${name}") + dd`);
    await fact("Started from").getByText("web", { exact: true }).waitFor();
    expect(await fact("Repo").textContent()).toBe("acme/web");
    const row = await stack.h.s.db.db
      .selectFrom("runs")
      .selectAll()
      .where("id", "=", started)
      .executeTakeFirst();
    expect(row).toMatchObject({ source: "web", user_id: member.userId, repo_id: repoId });
    expect(row?.prompt).toBe("add a health check endpoint");
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{32,36}$/);
    await shoot(page, "run-started-from-web");
    await assertNoHorizontalScroll(page);
    watcher.assertClean();
  });

  it("shows the run-start limit with its retry time; a retry keeps its key, an edit gets a new one", async () => {
    await page.getByRole("link", { name: "← All runs" }).click();
    const table = page.getByRole("region", { name: "Runs" });
    const mine = table
      .getByRole("row")
      .filter({ has: page.getByRole("link", { name: "add a health check endpoint" }) });
    await mine.waitFor();
    expect(await mine.textContent()).toContain("acme/web");
    expect(await mine.locator('td[data-label="Source"]').textContent()).toBe("web");

    const form = page.getByRole("form", { name: "Start a run" });
    await form.getByLabel("Prompt").fill("and a readiness probe");
    expect(await submit()).toBe(429);
    const alert = form.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Run not started: Too many requests — try again in \d+ s/);
    expect(new URL(page.url()).pathname).toBe("/runs");
    await assertNoHorizontalScroll(page);
    await shoot(page, "run-start-limited");

    expect(await submit()).toBe(429);
    await alert.waitFor();
    await form.getByLabel("Prompt").fill("and a liveness probe");
    expect(await submit()).toBe(429);
    expect(keys).toHaveLength(4);
    expect(keys[2]).toBe(keys[1]);
    expect(new Set([keys[0], keys[1], keys[3]]).size).toBe(3);
    const runs = await stack.h.s.db.db
      .selectFrom("runs")
      .select("id")
      .where("user_id", "=", member.userId)
      .execute();
    expect(runs.map((r) => r.id)).toEqual([started]);
    watcher.assertClean();
  });

  it("shows a viewer the runs but no start form", async () => {
    const viewerPage = await newPage(stack, watcher);
    try {
      const p = viewerPage.page;
      await signIn(p, viewer);
      await p.getByRole("link", { name: "Runs" }).click();
      await p.getByRole("link", { name: "add a health check endpoint" }).waitFor();
      expect(await p.getByRole("form", { name: "Start a run" }).count()).toBe(0);
      expect(await p.getByLabel("Prompt").count()).toBe(0);
      expect(await p.getByRole("button", { name: "Start run" }).count()).toBe(0);
      await assertNoHorizontalScroll(p);
      watcher.assertClean();
    } finally {
      await viewerPage.context.close();
    }
  });
});
