// In Chromium: first-run setup → sign in → create a token (shown once) → it works on the API → revoke → 401;
// then two-factor enrolment and a sign-in with the second step.
import type { BrowserContext, Page } from "playwright-core";
import { encode } from "uqr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secretFromUri, totp } from "../../server/src/identity/test-support/totp.js";
import { assertNoHorizontalScroll, newPage, type Stack, shoot, startStack, Watcher } from "./support.js";

let stack: Stack;
let context: BrowserContext;
let page: Page;
const watcher = new Watcher();
const owner = { name: "Ada Owner", email: "ada@example.test", password: "correct horse battery staple" };

beforeAll(async () => {
  stack = await startStack();
  ({ context, page } = await newPage(stack, watcher));
});
afterAll(async () => {
  await context?.close();
  await stack?.close();
});

const api = (path: string, token: string) =>
  fetch(`${stack.base}/api/v1/mogplex${path}`, { headers: { authorization: `Bearer ${token}` } });

describe("a new server, from setup to a working token", () => {
  it("sends a visitor to the setup explanation until the first owner exists", async () => {
    await page.goto("/");
    await page.getByRole("heading", { level: 1, name: "This Mogplex server is not set up yet" }).waitFor();
    await shoot(page, "setup-needed");
    watcher.assertClean();
  });

  it("creates the first owner from the printed setup link and leaves them signed in", async () => {
    const token = await stack.h.s.identity.issueSetupToken();
    if (!token) throw new Error("no setup token");
    await page.goto(`/setup#token=${token}`);
    await page.getByRole("heading", { level: 1, name: "Set up Mogplex" }).waitFor();
    // The bearer token leaves the address bar as soon as the page has it.
    expect(new URL(page.url()).hash).toBe("");
    await page.getByLabel("Your name").fill(owner.name);
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password", { exact: true }).fill(owner.password);
    await page.getByLabel("Repeat the password").fill(owner.password);
    await page.getByLabel("Team short name").fill("acme");
    await shoot(page, "setup");
    await page.getByRole("button", { name: "Create owner account" }).click();
    // No second sign-in: the owner lands on the runs page of their new team, signed in.
    await page.waitForURL(/\/runs$/);
    await page.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
    await page.getByRole("button", { name: "Sign out", exact: true }).waitFor();
    expect(await page.getByText(owner.email).count()).toBeGreaterThan(0);
    // A reload keeps the session: it is a real cookie, not page state.
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForURL(/\/login$/);
    watcher.assertClean();
  });

  it("shows a signed-out visitor the sign-in form, with the server's message on a wrong password", async () => {
    await page.goto("/settings/api-keys");
    await page.waitForURL(/\/login\?next=%2Fsettings%2Fapi-keys$/);
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill("not the password at all");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("Invalid email or password");
    expect(await alert.textContent()).toMatch(/Request id: req_/);
    await shoot(page, "sign-in-error");
    await page.getByLabel("Password").fill(owner.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/settings\/api-keys$/);
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    watcher.assertClean();
  });

  let plaintext = "";
  it("creates a token that is shown once, and only its prefix after a reload", async () => {
    await page.getByLabel("Name", { exact: true }).fill("laptop CLI");
    await page.getByLabel("Expires after").selectOption("30");
    // Loopback only: the API calls below come from this machine, so the token still works for them.
    await page.getByLabel("Allowed networks (optional)").fill("127.0.0.1, ::1");
    await page.getByRole("button", { name: "Create token" }).click();
    const shown = page.getByLabel("New token", { exact: true });
    await shown.waitFor();
    plaintext = await shown.inputValue();
    expect(plaintext).toMatch(/^mog_[0-9A-Za-z]{32}$/);
    await shoot(page, "api-keys-created");
    await page.getByRole("button", { name: "I have copied it" }).click();
    await page.reload();
    const row = page.getByRole("row", { name: /laptop CLI/ });
    await row.waitFor();
    expect(await row.textContent()).toContain(`${plaintext.slice(0, 12)}…`);
    expect(await row.textContent()).toContain("read, write");
    expect(await row.textContent()).toContain("from 127.0.0.1, ::1");
    expect(await page.content()).not.toContain(plaintext);
    await shoot(page, "api-keys");
    await assertNoHorizontalScroll(page);
    watcher.assertClean();
  });

  it("the token works on the API; revoking it (keyboard, with confirmation) makes the next call 401", async () => {
    expect((await api("/repos", plaintext)).status).toBe(200);
    const revoke = page.getByRole("button", { name: "Revoke laptop CLI" });
    await revoke.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Revoke “laptop CLI”?" });
    await dialog.waitFor();
    // Focus starts on the harmless choice; Escape closes without revoking.
    expect(await page.evaluate("document.activeElement && document.activeElement.textContent")).toBe(
      "Cancel",
    );
    await shoot(page, "api-keys-revoke-dialog");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect((await api("/repos", plaintext)).status).toBe(200);
    await revoke.click();
    await dialog.getByRole("button", { name: "Revoke token" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByText("You have no tokens yet.").waitFor();
    const after = await api("/repos", plaintext);
    expect(after.status).toBe(401);
    watcher.assertClean();
  });
});

describe("two-factor authentication", () => {
  let secret = "";
  it("is enrolled from Settings → Security with a code, and shows backup codes once", async () => {
    await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Security" }).click();
    await page.getByRole("heading", { level: 1, name: "Security" }).waitFor();
    await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
    await page.getByLabel("Your password, to turn on two-factor authentication").fill(owner.password);
    await page.getByRole("button", { name: "Continue" }).click();
    const link = page.getByRole("link", { name: "open the key in the app" });
    await link.waitFor();
    secret = secretFromUri((await link.getAttribute("href")) ?? "");
    expect((await page.getByTestId("totp-secret").textContent())?.replace(/\s/g, "")).toBe(secret);
    // The QR code draws exactly the otpauth URI the link carries: every dark module, nothing else.
    const qr = page.getByRole("img", { name: "QR code of your two-factor key" });
    const drawn = new Set(
      [...((await qr.locator("path").getAttribute("d")) ?? "").matchAll(/M(\d+) (\d+)/g)].map(
        (m) => `${Number(m[1]) - 4},${Number(m[2]) - 4}`,
      ),
    );
    const expected = new Set<string>();
    encode((await link.getAttribute("href")) ?? "", { ecc: "M", border: 0 }).data.forEach((row, y) => {
      row.forEach((dark, x) => {
        if (dark) expected.add(`${x},${y}`);
      });
    });
    expect(expected.size).toBeGreaterThan(100);
    expect(drawn).toEqual(expected);
    const box = await qr.boundingBox();
    expect(box && Math.abs(box.width - box.height)).toBeLessThan(1);
    await shoot(page, "security-enrol");
    await page.getByLabel("Enter the 6-digit code the app shows").fill(totp(secret));
    await page.getByRole("button", { name: "Turn on", exact: true }).click();
    await page.getByRole("heading", { name: "Save your backup codes" }).waitFor();
    expect(await page.locator(".codes li").count()).toBe(10);
    await page.getByRole("button", { name: "I have saved them" }).click();
    await page.getByText("Two-factor authentication is on.").waitFor();
    await page.getByText(/Status: On/).waitFor();
    await page.getByRole("region", { name: "Active sessions" }).getByText("This browser").waitFor();
    await shoot(page, "security");
    watcher.assertClean();
  });

  it("asks for the code after the password on the next sign-in", async () => {
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByText("You are signed out.").waitFor();
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill(owner.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    const code = page.getByLabel("6-digit code from your authenticator app");
    await code.waitFor();
    await shoot(page, "sign-in-2fa");
    await code.fill("000000" === totp(secret) ? "111111" : "000000");
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByRole("alert").waitFor();
    await code.fill(totp(secret));
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
    await shoot(page, "runs-empty");
    watcher.assertClean();
  });

  it("makes new backup codes and turns two-factor off, each after the password", async () => {
    await page.goto("/settings/security");
    await page.getByRole("button", { name: "New backup codes" }).click();
    await page.getByLabel("Your password, to create new backup codes").fill(owner.password);
    await page.getByRole("button", { name: "Create new codes" }).click();
    await page.getByRole("heading", { name: "Save your backup codes" }).waitFor();
    expect(await page.locator(".codes li").count()).toBe(10);
    await page.getByRole("button", { name: "I have saved them" }).click();
    await page.getByRole("button", { name: "Turn off two-factor" }).click();
    await page.getByLabel("Your password, to turn off two-factor authentication").fill("wrong password here");
    await page.getByRole("button", { name: "Turn off", exact: true }).click();
    await page.getByRole("alert").waitFor();
    await page.getByLabel("Your password, to turn off two-factor authentication").fill(owner.password);
    await page.getByRole("button", { name: "Turn off", exact: true }).click();
    await page.getByText(/Status: Off/).waitFor();
    await assertNoHorizontalScroll(page);
    watcher.assertClean();
  });
});
