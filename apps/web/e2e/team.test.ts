// In Chromium: an owner runs the team (repos, invitations, roles, audit log); a viewer is offered no admin
// action; an invited person joins; accounts are deleted with a typed confirmation; the CSP watcher works.
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
let owner: TestUser;
let viewer: TestUser;
const watcher = new Watcher();
const open: BrowserContext[] = [];
let ownerPage: Page;
let inviteUrl = "";

async function freshPage(): Promise<Page> {
  const { context, page } = await newPage(stack, watcher);
  open.push(context);
  return page;
}

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.h.user({ team: "acme" });
  viewer = await stack.h.user({ team: "acme", role: "viewer" });
  ownerPage = await freshPage();
  await signIn(ownerPage, owner);
});
afterAll(async () => {
  for (const c of open) await c.close();
  await stack?.close();
});

describe("an owner", () => {
  it("adds a repo by clone URL, and sees the server's reason when it refuses one", async () => {
    const page = ownerPage;
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Repos" }).click();
    await page.getByText("No repos yet. Add one above.").waitFor();
    await page.getByLabel("Name", { exact: true }).fill("acme/web");
    await page.getByLabel("Clone URL").fill("/srv/git/someone-else.git");
    await page.getByRole("button", { name: "Add repo" }).click();
    await page
      .getByRole("alert")
      .getByText(/cloneUrl must be an https/)
      .waitFor();
    await page.getByLabel("Clone URL").fill("https://git.example.test/acme/web.git");
    await page.getByRole("button", { name: "Add repo" }).click();
    await page.getByRole("region", { name: "Repos" }).getByText("acme/web").waitFor();
    await shoot(page, "repos");
    await assertNoHorizontalScroll(page);
    watcher.assertClean();
  });

  it("invites someone (link shown once), changes a role, and revokes an invitation", async () => {
    const page = ownerPage;
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
    await page.getByRole("heading", { level: 1, name: "acme" }).waitFor();
    await page.getByLabel("Email").fill("grace@example.test");
    await page.getByLabel("Role", { exact: true }).selectOption("member");
    await page.getByRole("button", { name: "Create invitation" }).click();
    const link = page.getByLabel("Invitation link");
    await link.waitFor();
    inviteUrl = await link.inputValue();
    expect(inviteUrl).toMatch(new RegExp(`^${stack.base}/invite#token=inv_`));
    await page.getByRole("row", { name: /grace@example\.test.*pending/ }).waitFor();
    await page.getByLabel("Email").fill("mallory@example.test");
    await page.getByRole("button", { name: "Create invitation" }).click();
    await page.getByRole("button", { name: "Revoke invitation for mallory@example.test" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke invitation" }).click();
    await page.getByRole("row", { name: /mallory@example\.test.*revoked/ }).waitFor();
    await page.getByLabel(`Role of Test User`).first().waitFor();
    const row = page.getByRole("row", { name: new RegExp(viewer.email.replace(".", "\\.")) });
    await row.getByRole("combobox").selectOption("member");
    await expect
      .poll(async () => (await stack.h.s.teams.roleOf(viewer.userId, owner.teamId)) as string)
      .toBe("member");
    await row.getByRole("combobox").selectOption("viewer");
    await expect
      .poll(async () => (await stack.h.s.teams.roleOf(viewer.userId, owner.teamId)) as string)
      .toBe("viewer");
    await shoot(page, "team-owner");
    await assertNoHorizontalScroll(page);
    watcher.assertClean();
  });

  it("reads the audit log, newest first, filtered by action", async () => {
    const page = ownerPage;
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
    const table = page.getByRole("region", { name: "Audit entries" });
    await table.getByText("member.role_changed").first().waitFor();
    await shoot(page, "audit");
    await assertNoHorizontalScroll(page);
    await page.getByLabel("Action").fill("repo.added");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect
      .poll(async () => [...new Set(await table.locator("td:nth-child(2) code").allTextContents())])
      .toEqual(["repo.added"]);
    await page.getByRole("button", { name: "Show all actions" }).click();
    await table.getByText("invitation.revoked").first().waitFor();
    // 25 a page: enough new entries push the first ones to page 2 and back.
    for (let i = 0; i < 30; i++) await stack.h.pat(owner, { name: `bulk ${i}` });
    await page.reload();
    await expect.poll(() => table.getByRole("row").count()).toBe(26);
    expect(await table.getByText("invitation.revoked").count()).toBe(0);
    await page.getByRole("button", { name: "Older →" }).click();
    await page.getByText("Page 2").waitFor();
    await table.getByText("invitation.revoked").first().waitFor();
    await page.getByRole("button", { name: "← Newer" }).click();
    await page.getByText("Page 1").waitFor();
    await expect
      .poll(() => table.locator("td:nth-child(2) code", { hasText: "token.created" }).count())
      .toBe(25);
    watcher.assertClean();
  });
});

describe("a viewer", () => {
  it("is offered no admin action anywhere", async () => {
    const page = await freshPage();
    await signIn(page, viewer);
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link").allTextContents()).toEqual([
      "Runs",
      "Repos",
      "Team",
      "Registry",
      "Settings",
    ]);
    await nav.getByRole("link", { name: "Repos" }).click();
    await page.getByRole("region", { name: "Repos" }).getByText("acme/web").waitFor();
    expect(await page.getByRole("button", { name: "Add repo" }).count()).toBe(0);
    await nav.getByRole("link", { name: "Team" }).click();
    await page.getByRole("region", { name: "Team members" }).getByText(owner.email).waitFor();
    expect(await page.getByRole("combobox").count()).toBe(0);
    expect(await page.getByRole("button", { name: /Remove|Create invitation|Revoke/ }).count()).toBe(0);
    await shoot(page, "team-viewer");
    const runId = (
      await stack.h.s.db.db
        .insertInto("runs")
        .values({
          id: "viewerrun01",
          team_id: owner.teamId,
          user_id: owner.userId,
          repo_id: (await stack.h.s.repos.list(owner.teamId, { limit: 1 })).repos[0]?.id ?? "",
          source: "api",
          harness: "mogplex",
          model: null,
          status: "running",
          prompt: "x",
          base_branch: "main",
          working_branch: "main",
          create_branch: 0,
          root_directory: "",
          sandbox_id: null,
          agent_id: null,
          error: null,
          input_tokens: 0,
          output_tokens: 0,
          cost_usd: 0,
          created_at: Date.now(),
          updated_at: Date.now(),
          started_at: Date.now(),
          finished_at: null,
        })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
    await page.goto(`/runs/${runId}`);
    await page.getByRole("heading", { level: 1 }).getByText("running").waitFor();
    expect(await page.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
    await page.goto("/audit");
    await page.getByText("Only owners and admins of a team can read its audit log.").waitFor();
    await page.goto("/settings/api-keys");
    await page.getByText("You are a viewer in this team: your tokens can only read").waitFor();
    watcher.assertClean();
  });
});

describe("joining and leaving", () => {
  it("an invited person creates an account from the link, signs in and is in the team", async () => {
    const page = await freshPage();
    await page.goto(inviteUrl);
    await page.getByRole("heading", { level: 1, name: "You're invited to a Mogplex team" }).waitFor();
    expect(new URL(page.url()).hash).toBe("");
    await page.getByLabel("Your name").fill("Grace");
    await page.getByLabel("Choose a password").fill("a long enough password");
    await shoot(page, "invite");
    await page.getByRole("button", { name: "Create account and join" }).click();
    await page.getByText("Your account is ready.").waitFor();
    await page.getByLabel("Email").fill("grace@example.test");
    await page.getByLabel("Password").fill("a long enough password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("acme").first().waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
    await page.getByRole("row", { name: /Grace.*grace@example\.test.*member/ }).waitFor();
    watcher.assertClean();
  });

  it("deletes an account only after the email is typed, and signs out", async () => {
    const leaver = await stack.h.user({ team: "acme", role: "member" });
    const page = await freshPage();
    await signIn(page, leaver);
    await page.goto("/settings/account");
    await page.getByRole("button", { name: "Delete my account…" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete your account?" });
    const confirm = dialog.getByRole("button", { name: "Delete my account" });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type your email address/).fill("someone-else@example.test");
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type your email address/).fill(leaver.email);
    await shoot(page, "account-delete");
    await confirm.click();
    await page.getByText("Your account was deleted.").waitFor();
    const gone = await stack.h.s.identity.findUserByEmail(leaver.email);
    expect(gone).toBeUndefined();
    watcher.assertClean();
  });
});

describe("the page itself", () => {
  it("starts keyboard users at a skip link, and the CSP watcher catches an inline script", async () => {
    const page = await freshPage();
    await signIn(page, owner);
    await page.goto("/runs");
    await page.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement && document.activeElement.textContent")).toBe(
      "Skip to content",
    );
    const local = new Watcher();
    local.attach(page);
    await page.evaluate(
      "(() => { const s = document.createElement('script'); s.textContent = 'window.__x = 1'; document.body.appendChild(s); })()",
    );
    await expect.poll(() => local.problems.length).toBeGreaterThan(0);
    expect(local.problems.join("\n")).toMatch(/CSP/);
    expect(await page.evaluate("window.__x")).toBeUndefined();
    watcher.problems.length = 0;
  });
});
