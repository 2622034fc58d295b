// In Chromium: an owner adds MCP servers whose header and env values never come back to the page, limits a
// gateway key to one of them (shown once, rotated, revoked by keyboard); members and viewers get no admin action.
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

const HEADER_SECRET = "Bearer hdr-7f3a9c1e5b2d4086";
const NEW_HEADER_SECRET = "Bearer hdr-rotated-0b8e2a6c4d1f";
const ENV_SECRET = "env-secret-93d1c7a2e8f4b605";
const SECRETS = [HEADER_SECRET, NEW_HEADER_SECRET, ENV_SECRET];

let stack: Stack;
let owner: TestUser;
let member: TestUser;
let viewer: TestUser;
let repoId = "";
const watcher = new Watcher();
const open: BrowserContext[] = [];
let ownerPage: Page;
/** Every API answer any page of this file received, read in full. */
const bodies: Array<Promise<string>> = [];

async function freshPage(): Promise<Page> {
  const { context, page } = await newPage(stack, watcher);
  open.push(context);
  page.on("response", (r) => {
    if (new URL(r.url()).pathname.startsWith("/api/")) bodies.push(r.text().catch(() => ""));
  });
  return page;
}

/** Neither the markup nor any field's current value holds a secret. */
async function assertNoSecretsOnPage(page: Page): Promise<void> {
  const html = await page.content();
  const values = (await page.evaluate(
    "[...document.querySelectorAll('input, textarea')].map((e) => e.value)",
  )) as string[];
  for (const secret of SECRETS) {
    expect(html).not.toContain(secret);
    expect(values.join("\n")).not.toContain(secret);
  }
}

const activeText = (page: Page) =>
  page.evaluate("document.activeElement && document.activeElement.textContent") as Promise<string | null>;

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.h.user({ team: "acme" });
  member = await stack.h.user({ team: "acme", role: "member" });
  viewer = await stack.h.user({ team: "acme", role: "viewer" });
  repoId = await stack.h.repo(owner.teamId, "acme/web");
  ownerPage = await freshPage();
  await signIn(ownerPage, owner);
});
afterAll(async () => {
  for (const c of open) await c.close();
  await stack?.close();
});

describe("an owner", () => {
  it("adds MCP servers with secret headers and env; their values never come back to the page", async () => {
    const page = ownerPage;
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
    await page
      .getByRole("navigation", { name: "Settings" })
      .getByRole("link", { name: "Connections" })
      .click();
    await page.getByRole("heading", { level: 1, name: "Connections" }).waitFor();
    await page.getByText("No connections yet. Add an MCP server below.").waitFor();

    await page.getByLabel("Type", { exact: true }).selectOption("http");
    await page.getByLabel("Name", { exact: true }).fill("tracker");
    await page.getByLabel("URL", { exact: true }).fill("https://mcp.example.test/mcp");
    await page.getByRole("button", { name: "Add a header" }).click();
    expect(
      await page.evaluate("document.activeElement && document.activeElement.labels[0].textContent"),
    ).toBe("Header 1 name");
    await page.getByLabel("Header 1 name").fill("Authorization");
    await page.getByLabel("Header 1 value").fill(HEADER_SECRET);
    await shoot(page, "connection-new");
    await page.getByRole("button", { name: "Add connection" }).click();
    await page.getByRole("status").getByText("Added tracker.").waitFor();

    await page.getByLabel("Type", { exact: true }).selectOption("stdio");
    await page.getByLabel("Name", { exact: true }).fill("files");
    await page.getByLabel("Command").fill("npx");
    await page.getByLabel("Arguments").fill("-y\n@modelcontextprotocol/server-everything");
    await page.getByLabel("Hosts it may reach (optional)").fill("packages.example.org\n*.example.com");
    await page.getByRole("button", { name: "Add a variable" }).click();
    await page.getByLabel("Variable 1 name").fill("API_TOKEN");
    await page.getByLabel("Variable 1 value").fill(ENV_SECRET);
    await page.getByRole("button", { name: "Add connection" }).click();
    await page.getByRole("status").getByText("Added files.").waitFor();

    const table = page.getByRole("region", { name: "Connections" });
    await table.getByRole("row", { name: /tracker.*MCP server \(http\).*Authorization/ }).waitFor();
    await table
      .getByRole("row", {
        name: /files.*MCP server \(stdio\).*server-everything.*packages\.example\.org.*\*\.example\.com.*API_TOKEN/,
      })
      .waitFor();
    await assertNoSecretsOnPage(page);
    await page.reload();
    await table.getByRole("row", { name: /tracker/ }).waitFor();
    await assertNoSecretsOnPage(page);
    await shoot(page, "connections");
    await assertNoHorizontalScroll(page);

    // Stored as typed, though: the resolved config (for PAT callers) decrypts them.
    const resolved = await stack.h.s.connections.resolvedMcp(owner.teamId, { limit: 100 });
    const byName = new Map(resolved.servers.map((s) => [s.name, s]));
    expect(byName.get("tracker")?.headers).toEqual({ Authorization: HEADER_SECRET });
    expect(byName.get("files")?.env).toEqual({ API_TOKEN: ENV_SECRET });
    expect(byName.get("files")?.egressHosts).toEqual(["packages.example.org", "*.example.com"]);
    watcher.assertClean();
  });

  it("changes a server: names shown, values replaced only when asked; hides a global one from a repo", async () => {
    const page = ownerPage;
    await page.getByRole("button", { name: "Edit tracker" }).click();
    const heading = page.getByRole("heading", { level: 2, name: "Change tracker" });
    await heading.waitFor();
    expect(await activeText(page)).toBe("Change tracker");
    await page.getByText("Stored now: Authorization. Values are never shown.").waitFor();
    expect(await page.getByLabel("Header 1 value").count()).toBe(0);
    await page.getByLabel("Replace them all").check();
    expect(await page.getByLabel("Header 1 name").inputValue()).toBe("Authorization");
    expect(await page.getByLabel("Header 1 value").inputValue()).toBe("");
    await page.getByLabel("Header 1 value").fill(NEW_HEADER_SECRET);
    await page.getByLabel("Transport").selectOption("sse");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("status").getByText("Saved tracker.").waitFor();
    await page.getByRole("row", { name: /tracker.*MCP server \(sse\)/ }).waitFor();
    await expect.poll(() => activeText(page)).toBe("Edit tracker");
    await assertNoSecretsOnPage(page);
    const resolved = await stack.h.s.connections.resolvedMcp(owner.teamId, { limit: 100 });
    expect(resolved.servers.find((s) => s.name === "tracker")?.headers).toEqual({
      Authorization: NEW_HEADER_SECRET,
    });

    await page.getByRole("button", { name: "Edit files" }).click();
    const hide = page.getByLabel("Hide from acme/web");
    await hide.check();
    await expect
      .poll(async () => (await stack.h.s.connections.list(owner.teamId, repoId)).excluded ?? [])
      .toHaveLength(1);
    await expect.poll(() => hide.isChecked()).toBe(true);
    await shoot(page, "connection-edit");
    await hide.uncheck();
    await expect
      .poll(async () => (await stack.h.s.connections.list(owner.teamId, repoId)).excluded ?? [])
      .toHaveLength(0);
    await page.getByRole("button", { name: "Cancel", exact: true }).click();
    await page.getByRole("heading", { level: 2, name: "Add a connection" }).waitFor();
    await assertNoSecretsOnPage(page);
    watcher.assertClean();
  });

  it("deletes a connection after confirming", async () => {
    const page = ownerPage;
    await page.getByLabel("Type", { exact: true }).selectOption("rest");
    await page.getByLabel("Name", { exact: true }).fill("scratch");
    await page.getByLabel("URL", { exact: true }).fill("https://api.example.test/v1");
    await page.getByRole("button", { name: "Add connection" }).click();
    await page.getByRole("row", { name: /scratch.*REST API/ }).waitFor();
    await page.getByRole("button", { name: "Delete scratch" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete “scratch”?" });
    await dialog.getByRole("button", { name: "Delete connection" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("status").getByText("Deleted scratch.").waitFor();
    await page.getByRole("row", { name: /scratch/ }).waitFor({ state: "detached" });
    watcher.assertClean();
  });

  it("creates a gateway key for one server, sees it once, rotates it, and revokes it by keyboard", async () => {
    const page = ownerPage;
    await page
      .getByRole("navigation", { name: "Settings" })
      .getByRole("link", { name: "Gateway keys" })
      .click();
    await page.getByRole("heading", { level: 1, name: "Gateway keys" }).waitFor();
    await page.getByText("No gateway keys yet.").waitFor();
    await page.getByLabel("Name", { exact: true }).fill("editor");
    await page.getByText("Tick at least one server, or choose every server.").waitFor();
    expect(await page.getByRole("button", { name: "Create key" }).isDisabled()).toBe(true);
    await page.getByLabel("tracker", { exact: true }).check();
    await page.getByLabel("Tools (optional)").fill("tracker__search");
    await page.getByLabel("Expires after").selectOption("30");
    await page.getByLabel("Rate limit (requests per second)").fill("5");
    await page.getByLabel("Allowed networks (optional)").fill("127.0.0.0/8\n::1");
    await page.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByLabel("New gateway key", { exact: true });
    await shown.waitFor();
    const key = await shown.inputValue();
    expect(key).toMatch(/^pmcp_01[0-9a-f]{80}$/);
    expect(await activeText(page)).toBe("Copy your new gateway key now");
    await page.getByText("you won't see it again").waitFor();
    const principal = await stack.h.s.gateway.keys.authenticate(key);
    expect(principal?.servers).toEqual(["tracker"]);
    expect(principal?.tools).toEqual(["tracker__search"]);
    expect(principal?.ipAllowlist?.entries).toEqual(["127.0.0.0/8", "::1"]);
    await shoot(page, "gateway-key-created");
    await page.getByRole("button", { name: "I have copied it" }).click();

    await page.reload();
    const row = page.getByRole("row", { name: /editor/ });
    await row.waitFor();
    const text = (await row.textContent()) ?? "";
    expect(text).toContain(`${key.slice(0, 15)}…`);
    expect(text).toContain("tracker__search");
    expect(text).toContain("5/s");
    expect(text).toContain("from 127.0.0.0/8, ::1");
    expect(text).toContain("You");
    expect(await page.content()).not.toContain(key);
    await shoot(page, "gateway-keys");
    await assertNoHorizontalScroll(page);

    await row.getByRole("button", { name: "Rotate editor" }).click();
    await page
      .getByRole("dialog", { name: "Rotate “editor”?" })
      .getByRole("button", { name: "Rotate key" })
      .click();
    await page.getByRole("heading", { name: "Copy the rotated key now" }).waitFor();
    await expect.poll(() => activeText(page)).toBe("Copy the rotated key now");
    const rotated = await shown.inputValue();
    expect(rotated).not.toBe(key);
    expect(rotated.slice(0, 15)).toBe(key.slice(0, 15));
    await expect.poll(() => stack.h.s.gateway.keys.authenticate(key)).toBeNull();
    expect(await stack.h.s.gateway.keys.authenticate(rotated)).not.toBeNull();
    await page.getByRole("button", { name: "I have copied it" }).click();

    const revoke = page.getByRole("button", { name: "Revoke editor" });
    await revoke.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Revoke “editor”?" });
    await dialog.waitFor();
    expect(await activeText(page)).toBe("Cancel");
    await page.keyboard.press("Shift+Tab");
    expect(await activeText(page)).toBe("Revoke key");
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    await page.getByText("No gateway keys yet.").waitFor();
    await expect.poll(() => stack.h.s.gateway.keys.authenticate(rotated)).toBeNull();
    watcher.assertClean();
  });
});

describe("a member and a viewer", () => {
  it("a member reads connections (names only) with no admin action, and makes their own key", async () => {
    const page = await freshPage();
    await signIn(page, member);
    await page.goto("/settings/connections");
    const table = page.getByRole("region", { name: "Connections" });
    await table.getByRole("row", { name: /tracker.*Authorization/ }).waitFor();
    await page.getByText("Only owners and admins of the team can add or change connections.").waitFor();
    expect(await page.getByRole("button", { name: /Add connection|Edit|Delete/ }).count()).toBe(0);
    expect(await page.getByRole("columnheader", { name: "Actions" }).count()).toBe(0);
    await assertNoSecretsOnPage(page);
    await shoot(page, "connections-member");

    await page
      .getByRole("navigation", { name: "Settings" })
      .getByRole("link", { name: "Gateway keys" })
      .click();
    await page.getByLabel("Name", { exact: true }).fill("member key");
    await page.getByLabel(/Every MCP server of the team/).check();
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByLabel("New gateway key", { exact: true }).waitFor();
    await page.getByRole("button", { name: "I have copied it" }).click();
    await page.getByRole("row", { name: /member key.*All servers.*All tools/ }).waitFor();
    expect(await page.getByRole("columnheader", { name: "Owner" }).count()).toBe(0);

    // The owner sees the member's key too, with whose it is.
    await ownerPage.reload();
    await ownerPage.getByRole("row", { name: /member key.*Test User/ }).waitFor();
    watcher.assertClean();
  });

  it("a viewer sees no admin action on connections and cannot create gateway keys", async () => {
    const page = await freshPage();
    await signIn(page, viewer);
    await page.goto("/settings/connections");
    await page.getByRole("region", { name: "Connections" }).getByRole("row", { name: /files/ }).waitFor();
    expect(await page.getByRole("button", { name: /Add connection|Edit|Delete|Add a/ }).count()).toBe(0);
    await page.goto("/settings/gateway-keys");
    await page.getByText("Viewers cannot create gateway keys.").waitFor();
    expect(await page.getByRole("button", { name: "Create key" }).count()).toBe(0);
    await page.getByText("No gateway keys yet.").waitFor();
    await assertNoHorizontalScroll(page);
    watcher.assertClean();
  });
});

describe("what the browser received", () => {
  it("no API answer to any page held a header or env value, only their names", async () => {
    const texts = await Promise.all(bodies);
    expect(texts.some((t) => t.includes('"headerNames":["Authorization"]'))).toBe(true);
    for (const t of texts) for (const secret of SECRETS) expect(t).not.toContain(secret);
  });
});
