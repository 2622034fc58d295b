// In Chromium: the start form's team tools field. A tool the member could not call is refused with the server's
// message naming it (nothing started); an allowed REST connection starts the run with exactly that tool.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newPage, type Stack, signIn, startStack, Watcher } from "./support.js";

let stack: Stack;
let context: BrowserContext;
let page: Page;
const watcher = new Watcher();

const isStart = (method: string, url: string) =>
  method === "POST" && new URL(url).pathname === "/api/web/runs";

beforeAll(async () => {
  stack = await startStack();
  const owner = await stack.h.user({ team: "acme" });
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
});
afterAll(async () => {
  await context?.close();
  await stack?.close();
});

async function submitStart(): Promise<{ status: number; body: unknown }> {
  const [res] = await Promise.all([
    page.waitForResponse((r) => isStart(r.request().method(), r.url())),
    page.getByRole("button", { name: "Start run" }).click(),
  ]);
  return { status: res.status(), body: res.request().postDataJSON() };
}

describe("team tools on the start form", () => {
  it("refuses a tool the member can't call, naming it, then starts a run with the allowed one", async () => {
    await page.getByRole("link", { name: "Runs" }).click();
    const form = page.getByRole("form", { name: "Start a run" });
    await form.waitFor();
    await form.getByLabel("Prompt").fill("sync the crm");
    await form.getByLabel("Team tools (optional)").fill("rest:crm, rest:nope");
    const refused = await submitStart();
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ tools: ["rest:crm", "rest:nope"] });
    await form.getByText("tools: rest:nope: no enabled REST connection by that name for this repo").waitFor();
    expect(await stack.h.s.db.db.selectFrom("runs").select("id").execute()).toEqual([]);

    await form.getByLabel("Team tools (optional)").fill("rest:crm rest:crm");
    const ok = await submitStart();
    expect(ok.status).toBe(202);
    await page.waitForURL(/\/runs\/[^/?]+$/);
    const runs = await stack.h.s.db.db.selectFrom("runs").select(["tools", "source"]).execute();
    expect(runs).toEqual([{ tools: JSON.stringify(["rest:crm"]), source: "web" }]);
    expect(await page.content()).not.toContain("crm-secret-9f8e7d");
  });
});
