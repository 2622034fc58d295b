// In Chromium: the start form's team tools field. A tool the member could not call is refused with the server's
// message naming it (nothing started); an allowed REST connection starts the run with exactly that tool.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newPage, type Stack, signIn, startStack, submitStart, Watcher } from "./support.js";

let stack: Stack;
let context: BrowserContext;
let page: Page;
let ownerContext: BrowserContext;
let ownerPage: Page;
let teamId = "";
const watcher = new Watcher();

beforeAll(async () => {
  stack = await startStack();
  const owner = await stack.h.user({ team: "acme" });
  teamId = owner.teamId;
  await stack.h.repo(owner.teamId, "acme/web");
  await stack.h.s.connections.create(
    owner.teamId,
    owner.userId,
    {
      kind: "rest",
      name: "crm",
      url: "https://crm.example.test/api",
      headers: { "X-Key": "crm-secret-9f8e7d" },
    },
    { actorType: "system", actorId: null },
  );
  const member = await stack.h.user({ team: "acme", role: "member" });
  ({ context, page } = await newPage(stack, watcher));
  await signIn(page, member);
  ({ context: ownerContext, page: ownerPage } = await newPage(stack, watcher));
  await signIn(ownerPage, owner);
});
afterAll(async () => {
  await ownerContext?.close();
  await context?.close();
  await stack?.close();
});

describe("team tools on the start form", () => {
  it("refuses a tool the member can't call, naming it, then starts a run with the allowed one", async () => {
    await page.getByRole("link", { name: "Runs" }).click();
    const form = page.getByRole("form", { name: "Start a run" });
    await form.waitFor();
    await form.getByLabel("Prompt").fill("sync the crm");
    await form.getByLabel("Team tools (optional)").fill("rest:crm, rest:nope");
    const refused = await submitStart(page);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ tools: ["rest:crm", "rest:nope"] });
    await form.getByText("tools: rest:nope: no enabled REST connection by that name for this repo").waitFor();
    expect(await stack.h.s.db.db.selectFrom("runs").select("id").execute()).toEqual([]);

    await form.getByLabel("Team tools (optional)").fill("rest:crm rest:crm");
    const ok = await submitStart(page);
    expect(ok.status).toBe(202);
    await page.waitForURL(/\/runs\/[^/?]+$/);
    const runs = await stack.h.s.db.db.selectFrom("runs").select(["tools", "source"]).execute();
    expect(runs).toEqual([{ tools: JSON.stringify(["rest:crm"]), source: "web" }]);
    expect(await page.content()).not.toContain("crm-secret-9f8e7d");
  });

  it("an owner picks a REST connection's methods and limits which tools runs may ask for", async () => {
    const p = ownerPage;
    await p.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
    await p.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Connections" }).click();
    await p.getByRole("heading", { level: 1, name: "Connections" }).waitFor();
    await p.getByLabel("Type", { exact: true }).selectOption("rest");
    await p.getByLabel("Name", { exact: true }).fill("billing");
    await p.getByLabel("URL", { exact: true }).fill("https://billing.example.test/v1");
    const methods = p.getByRole("group", { name: "Methods runs may use" });
    expect(await methods.getByLabel("GET").isChecked()).toBe(true);
    expect(await methods.getByLabel("POST").isChecked()).toBe(false);
    await methods.getByLabel("POST").check();
    await p.getByRole("button", { name: "Add connection" }).click();
    await p.getByRole("row", { name: /billing.*REST API/ }).waitFor();
    const row = await stack.h.s.db.db
      .selectFrom("connections")
      .select("methods")
      .where("name", "=", "billing")
      .executeTakeFirst();
    expect(row?.methods).toBe(JSON.stringify(["GET", "HEAD", "POST"]));

    const policy = p.getByRole("form", { name: "Tools runs may use" });
    await policy.getByLabel("Only let runs ask for these tools").check();
    await policy.getByLabel("Allowed tools").fill("rest:crm\nfiles__*");
    await policy.getByRole("button", { name: "Save tool policy" }).click();
    await policy.getByRole("status").getByText("Saved.").waitFor();
    const team = await stack.h.s.db.db
      .selectFrom("teams")
      .select("run_tools_policy")
      .where("id", "=", teamId)
      .executeTakeFirst();
    expect(team?.run_tools_policy).toBe(JSON.stringify(["rest:crm", "files__*"]));

    // The member's start form now meets the policy.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Runs" }).click();
    const form = page.getByRole("form", { name: "Start a run" });
    await form.getByLabel("Prompt").fill("bill them");
    await form.getByLabel("Team tools (optional)").fill("rest:billing");
    expect((await submitStart(page)).status).toBe(400);
    await form.getByText("tools: rest:billing: the team's run tool policy does not allow it").waitFor();
    watcher.assertClean();
  });
});
