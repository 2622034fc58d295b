// Page loads never meet the sign-in rate tier (10 a minute): what a page fetches on load is outside it. And when
// the server does rate-limit a page load, the page says so and when to retry, instead of "not answering".
import type { BrowserContext, Page, Response } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { FakeClock, type TestUser } from "../../server/src/test-support/harness.js";
import { newPage, type Stack, signIn, startStack, Watcher } from "./support.js";

const stacks: Stack[] = [];
const open: BrowserContext[] = [];
afterAll(async () => {
  for (const c of open) await c.close();
  for (const s of stacks) await s.close();
});

async function pageOn(stack: Stack, watcher: Watcher): Promise<Page> {
  const { context, page } = await newPage(stack, watcher);
  open.push(context);
  return page;
}

/** Every response the page received with this status, as `status path`. */
function record(page: Page, status: number): string[] {
  const seen: string[] = [];
  page.on("response", (r: Response) => {
    if (r.status() === status) seen.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
  return seen;
}

describe("page loads and the sign-in tier", () => {
  it("30 full page loads in a minute, signed in and signed out, never see a 429", async () => {
    // The shipped default tier, not the harness's relaxed one; the server's clock stands still, so every load
    // falls inside one window however long the browser takes.
    const stack = await startStack({ clock: new FakeClock(), env: { MOGPLEX_SIGNIN_RATE_LIMIT: "10/60s" } });
    stacks.push(stack);
    const watcher = new Watcher();
    const owner: TestUser = await stack.h.user({ team: "acme" });

    const signedIn = await pageOn(stack, watcher);
    const limitedIn = record(signedIn, 429);
    await signIn(signedIn, owner);
    const pages: Array<[string, string]> = [
      ["/runs", "Runs"],
      ["/settings/api-keys", "API keys"],
      ["/device", "Approve a device"],
    ];
    for (let i = 0; i < 30; i++) {
      const [path, heading] = pages[i % pages.length] as [string, string];
      await signedIn.goto(path);
      await signedIn.getByRole("heading", { level: 1, name: heading }).waitFor();
    }

    const signedOut = await pageOn(stack, watcher);
    const limitedOut = record(signedOut, 429);
    for (let i = 0; i < 30; i++) {
      await signedOut.goto(i % 2 === 0 ? "/login" : "/runs");
      await signedOut.getByRole("button", { name: "Sign in" }).waitFor();
    }
    expect([...limitedIn, ...limitedOut]).toEqual([]);
    watcher.assertClean();
  });
});

describe("a rate-limited page load", () => {
  it("says 'Too many requests — try again in N s' and loads once the window has passed", async () => {
    const clock = new FakeClock();
    const stack = await startStack({ clock, env: { MOGPLEX_IP_RATE_LIMIT: "300/60s" } });
    stacks.push(stack);
    const watcher = new Watcher();
    const owner = await stack.h.user({ team: "acme" });
    const page = await pageOn(stack, watcher);
    await signIn(page, owner);
    // The app's script and styles are now in the browser's cache (immutable hashed assets). Fill this address's
    // window but one request: the page's document still loads, what it fetches next is refused.
    const rule = stack.h.s.rules.ip;
    const key = "ip:global:127.0.0.1";
    for (;;) {
      const d = await stack.h.s.limiter.peek(key, rule, clock.now());
      expect(d.allowed).toBe(true);
      if (d.remaining === 0) break;
      await stack.h.s.limiter.hit(key, rule, clock.now());
    }
    const refused = record(page, 429);
    await page.goto("/runs");
    await page.getByRole("heading", { level: 1, name: "Too many requests" }).waitFor();
    const alert = (await page.getByRole("alert").textContent()) ?? "";
    expect(alert).toContain("Too many requests — try again in 60 s");
    expect(await page.locator("main").textContent()).not.toContain("not answering");
    expect(refused).toContain("429 /api/setup");

    clock.advance(rule.windowMs);
    await page.getByRole("button", { name: "Try again" }).click();
    await page.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
    watcher.assertClean();
  });
});
