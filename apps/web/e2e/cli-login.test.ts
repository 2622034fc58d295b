// In Chromium, with the real `mogplex` binary: `login --browser` (consent page, loopback hand-off) and
// `login --device` (approval by code), each loaded from the URL the CLI prints by a signed-out person, ending in
// the CLI exiting 0 with a token in auth.json that works on the API. No request interception, no header tricks.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authJson, clientEnv, killLive, type LiveCli, startCli } from "../../cli/src/e2e/cli-support.js";
import { cleanup, ensureBuilt } from "../../cli/src/e2e/support.js";
import type { TestUser } from "../../server/src/test-support/harness.js";
import { assertNoHorizontalScroll, newPage, type Stack, shoot, startStack, Watcher } from "./support.js";

const SLOW = 90_000;
let stack: Stack;
let owner: TestUser;
const watcher = new Watcher();
const open: BrowserContext[] = [];

beforeAll(async () => {
  ensureBuilt();
  stack = await startStack();
  owner = await stack.h.user({ team: "acme" });
});
afterAll(async () => {
  killLive();
  for (const c of open) await c.close();
  await stack?.close();
  cleanup();
});

async function freshPage(): Promise<Page> {
  const { context, page } = await newPage(stack, watcher);
  open.push(context);
  return page;
}

/** The real sign-in form, reached because the page sent a signed-out person there. */
async function signInHere(page: Page): Promise<void> {
  await page.waitForURL(/\/login\?next=/);
  await page.getByLabel("Email").fill(owner.email);
  await page.getByLabel("Password").fill(owner.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The CLI stored a token, it works on the public API, and it was printed nowhere. */
async function expectWorkingToken(cli: LiveCli, env: Record<string, string>, method: string) {
  const stored = authJson(env).mogplex as { url: string; token: string; method: string };
  expect(stored).toMatchObject({ url: stack.base, method });
  expect(stored.token).toMatch(/^mog_[0-9A-Za-z]{32}$/);
  const res = await fetch(`${stack.base}/api/v1/mogplex/repos`, {
    headers: { authorization: `Bearer ${stored.token}` },
  });
  expect(res.status).toBe(200);
  expect(cli.stdout() + cli.stderr()).not.toContain(stored.token);
  const keys = await stack.h.s.tokens.list(owner.userId);
  expect(keys.some((k) => stored.token.startsWith(k.prefix) && k.name.startsWith("CLI on "))).toBe(true);
}

describe("mogplex login --browser", { timeout: SLOW }, () => {
  it("the printed URL sends a signed-out person to sign in, back to consent; Approve signs the CLI in", async () => {
    const env = clientEnv(stack.base);
    const cli = startCli(["login", "--browser", "--no-open"], env);
    const url = (await cli.waitFor(/Opening (\S+)/))[1] as string;
    expect(url.startsWith(`${stack.base}/cli-auth?callback=`)).toBe(true);
    const page = await freshPage();
    await page.goto(url);
    await signInHere(page);
    await page.getByRole("heading", { level: 1, name: "Sign in to the Mogplex CLI?" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/cli-auth");
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).toContain(owner.email);
    expect(text).toContain(`port ${new URL(new URL(url).searchParams.get("callback") ?? "").port}`);
    await shoot(page, "cli-auth-consent");
    await assertNoHorizontalScroll(page);
    await page.getByRole("button", { name: "Approve" }).click();
    // The browser lands on the CLI's own listener, which answers once it has the code.
    await page.getByRole("heading", { name: "Signed in" }).waitFor();
    expect(await cli.exited()).toBe(0);
    expect(cli.stdout()).toContain(`Signed in to ${stack.base}`);
    await expectWorkingToken(cli, env, "browser");

    // Already signed in, the printed URL is a direct load of the same page (no sign-in detour).
    const again = clientEnv(stack.base);
    const second = startCli(["login", "--browser", "--no-open"], again);
    await page.goto((await second.waitFor(/Opening (\S+)/))[1] as string);
    await page.getByRole("heading", { level: 1, name: "Sign in to the Mogplex CLI?" }).waitFor();
    await page.getByRole("button", { name: "Approve" }).click();
    await page.getByRole("heading", { name: "Signed in" }).waitFor();
    expect(await second.exited()).toBe(0);
    await expectWorkingToken(second, again, "browser");
    watcher.assertClean();
  });

  it("Deny tells the CLI (exit 65) and stores nothing", async () => {
    const env = clientEnv(stack.base);
    const cli = startCli(["login", "--browser", "--no-open"], env);
    const url = (await cli.waitFor(/Opening (\S+)/))[1] as string;
    const page = await freshPage();
    await page.goto(url);
    await signInHere(page);
    await page.getByRole("button", { name: "Deny" }).click();
    await page.getByRole("heading", { name: "Sign-in denied" }).waitFor();
    expect(await cli.exited()).toBe(65);
    expect(cli.stderr()).toContain("denied");
    expect(() => authJson(env)).toThrow();
    watcher.assertClean();
  });
});

describe("mogplex login --device", { timeout: SLOW }, () => {
  it("the printed /device URL, after sign-in, takes the code and shows code, client and expiry; Approve signs the CLI in", async () => {
    const env = clientEnv(stack.base);
    const cli = startCli(["login", "--device"], env);
    const m = await cli.waitFor(/open (\S+) and enter the code: ([A-Z]{4}-[A-Z]{4})/);
    const [url, code] = [m[1] as string, m[2] as string];
    expect(url).toBe(`${stack.base}/device`);
    const page = await freshPage();
    await page.goto(url);
    await signInHere(page);
    await page.getByRole("heading", { level: 1, name: "Approve a device" }).waitFor();
    await page.getByLabel("Code shown in your terminal").fill(code.toLowerCase());
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByText(code, { exact: true }).waitFor();
    const terms = await page.locator("dl.facts dt").allTextContents();
    const values = await page.locator("dl.facts dd").allTextContents();
    expect(Object.fromEntries(terms.map((t, i) => [t, values[i]?.trim()]))).toEqual({
      Code: code,
      Client: "Mogplex CLI 0.1.0",
      Requested: "just now from 127.0.0.1",
      Expires: "in 9 minutes",
    });
    await shoot(page, "device-approve");
    await assertNoHorizontalScroll(page);
    await page.getByRole("button", { name: "Approve device" }).click();
    await page.getByText("Device approved.").waitFor();
    expect(await cli.exited()).toBe(0);
    await expectWorkingToken(cli, env, "device");

    // Already signed in: the complete URL the CLI also prints loads the confirmation directly.
    const again = clientEnv(stack.base);
    const second = startCli(["login", "--device"], again);
    const complete = (await second.waitFor(/\(or open (\S+)\)/))[1] as string;
    await page.goto(complete);
    await page.getByRole("button", { name: "Approve device" }).click();
    await page.getByText("Device approved.").waitFor();
    expect(await second.exited()).toBe(0);
    await expectWorkingToken(second, again, "device");
    watcher.assertClean();
  });

  it("the complete URL opens the confirmation directly; an unknown typed code is explained", async () => {
    const env = clientEnv(stack.base);
    const cli = startCli(["login", "--device"], env);
    const complete = (await cli.waitFor(/\(or open (\S+)\)/))[1] as string;
    const page = await freshPage();
    await page.goto(complete);
    await signInHere(page);
    await page.getByRole("button", { name: "Deny" }).click();
    await page.getByText("Request denied.").waitFor();
    expect(await cli.exited()).toBe(65);
    await page.goto("/device");
    await page.getByLabel("Code shown in your terminal").fill("bcdf-ghjk");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByText("That code is unknown, expired or already used.").waitFor();
    await shoot(page, "device-unknown");
    watcher.assertClean();
  });
});
