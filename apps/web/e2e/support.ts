// Browser-test support: a real server on a free port, Debian Chromium through playwright-core, a watcher that
// fails on CSP violations and page errors, sign-in through the real form, and screenshots at two sizes.
import { existsSync, mkdirSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { type ServerType, serve } from "@hono/node-server";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { servePreviewUpgrades } from "../../server/src/sandboxes/preview-host/ws.js";
import { createHarness, type Harness, type HarnessOptions } from "../../server/src/test-support/harness.js";

/** Debian's Chromium (installed by scripts/setup.sh); MOGPLEX_CHROMIUM points elsewhere if needed. */
export const CHROMIUM = process.env.MOGPLEX_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];
const SHOTS = fileURLToPath(new URL("../../../test-results/screenshots/", import.meta.url));
export const WEB_DIST = fileURLToPath(new URL("../dist/", import.meta.url));
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export interface Stack {
  h: Harness;
  base: string;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Listens first (port 0) so the harness can be told its real public URL: Better Auth and the Origin check
 * only trust the origin the browser actually uses.
 */
export async function startStack(o: HarnessOptions = {}): Promise<Stack> {
  if (!existsSync(`${WEB_DIST}index.html`)) {
    throw new Error(
      "The web app is not built: run `npm run build` (scripts/test.sh does) before the browser tests",
    );
  }
  let fetcher: ((req: Request, env: unknown) => Response | Promise<Response>) | undefined;
  const server: ServerType = await new Promise((resolve) => {
    const s = serve(
      {
        fetch: (req, env) => (fetcher ? fetcher(req, env) : new Response("starting", { status: 503 })),
        hostname: "127.0.0.1",
        port: 0,
      },
      () => resolve(s),
    );
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const h = await createHarness({ ...o, env: { MOGPLEX_PUBLIC_URL: base, ...o.env } });
  fetcher = (req, env) => h.app.fetch(req, env);
  // As `mogplex serve` does: preview hosts' WebSockets go to the dev server.
  const upgrades = servePreviewUpgrades(server as Server, h.s);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  return {
    h,
    base,
    browser,
    async close() {
      await browser.close();
      upgrades.close();
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await h.close();
    },
  };
}

/** Reports CSP violations, uncaught page errors and console errors other than failed loads (4xx answers). */
export class Watcher {
  readonly problems: string[] = [];

  attach(page: Page): void {
    page.on("console", (m) => {
      const text = m.text();
      if (/Content Security Policy|CSP violation/i.test(text)) this.problems.push(`CSP: ${text}`);
      else if (m.type() === "error" && !text.startsWith("Failed to load resource")) {
        this.problems.push(`console error: ${text}`);
      }
    });
    page.on("pageerror", (err) => this.problems.push(`page error: ${err.message}`));
  }

  /** Throws (failing the test) with every problem seen so far. */
  assertClean(): void {
    if (this.problems.length > 0) throw new Error(`browser reported:\n${this.problems.join("\n")}`);
  }
}

// Runs before any page script (injected over the DevTools protocol, so the page's CSP doesn't apply to it).
const REPORT_VIOLATIONS = `document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});`;

export async function newPage(
  stack: Stack,
  watcher: Watcher,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await stack.browser.newContext({ viewport, baseURL: stack.base });
  await context.addInitScript({ content: REPORT_VIOLATIONS });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  watcher.attach(page);
  return { context, page };
}

/** Signs in through the real form (and the 2FA step when a code is given); lands on `next` or /runs. */
export async function signIn(
  page: Page,
  u: { email: string; password: string },
  o: { next?: string; totp?: () => string } = {},
): Promise<void> {
  await page.goto(o.next ? `/login?next=${encodeURIComponent(o.next)}` : "/login");
  await page.getByLabel("Email").fill(u.email);
  await page.getByLabel("Password").fill(u.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (o.totp) {
    await page.getByLabel("6-digit code from your authenticator app").fill(o.totp());
    await page.getByRole("button", { name: "Verify" }).click();
  }
  await page.getByRole("button", { name: "Sign out", exact: true }).waitFor();
}

/** Full-page screenshots at desktop and phone sizes into test-results/screenshots/ (git-ignored). */
export async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const original = page.viewportSize() ?? DESKTOP;
  for (const [label, size] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    await page.setViewportSize(size);
    await page.screenshot({ path: `${SHOTS}${name}-${label}.png`, fullPage: true });
  }
  await page.setViewportSize(original);
}

/** The page must not scroll sideways: wide content (tables) scrolls inside its own region instead. */
export async function assertNoHorizontalScroll(page: Page): Promise<void> {
  const original = page.viewportSize() ?? DESKTOP;
  for (const size of [DESKTOP, PHONE]) {
    await page.setViewportSize(size);
    const overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth");
    if (Number(overflow) > 1) {
      throw new Error(`${page.url()} is ${String(overflow)}px wider than a ${size.width}px viewport`);
    }
  }
  await page.setViewportSize(original);
}

/** The web app's start-run request. */
export const isStartRun = (method: string, url: string) =>
  method === "POST" && new URL(url).pathname === "/api/web/runs";

/** Clicks the start form's "Start run" and returns the answer's status and the JSON body the form sent. */
export async function submitStart(page: Page): Promise<{ status: number; body: unknown }> {
  const [res] = await Promise.all([
    page.waitForResponse((r) => isStartRun(r.request().method(), r.url())),
    page.getByRole("button", { name: "Start run" }).click(),
  ]);
  return { status: res.status(), body: res.request().postDataJSON() };
}
