// In Chromium: an owner adds a stdio MCP server installed outside /usr — refused until its directory is a
// read-only path, then listed with it — and sees, after the gateway failed to start it, that it is failing
// and why (its own stderr, redacted); once fixed on the host, it shows as working.
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { mcpClient } from "../../server/src/gateway/test-support/everything.js";
import { installMiniServer } from "../../server/src/gateway/test-support/mini-server.js";
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

const ENV_SECRET = `env-secret-${randomBytes(8).toString("hex")}`;
const TOKEN = `ghp_${randomBytes(18).toString("hex")}`;

let stack: Stack;
let owner: TestUser;
let context: BrowserContext;
let page: Page;
let dir: string;
const watcher = new Watcher();

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.h.user({ team: "acme" });
  dir = installMiniServer(TOKEN);
  ({ context, page } = await newPage(stack, watcher));
  await signIn(page, owner);
});
afterAll(async () => {
  await context?.close();
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** tools/list through the real gateway, as an MCP client would; the answer itself doesn't matter here. */
async function listThroughGateway(): Promise<void> {
  const key = await stack.h.s.gateway.keys.create(
    owner.userId,
    owner.teamId,
    { name: `k-${randomBytes(3).toString("hex")}`, rateLimitRps: 1000 },
    { actorType: "system", actorId: null },
  );
  const c = await mcpClient(stack.base, key.key);
  await c.listTools().catch(() => undefined);
  await c.close();
}

function assertNoSecrets(html: string): void {
  expect(html).not.toContain(ENV_SECRET);
  expect(html).not.toContain(TOKEN);
}

it("refuses a script its sandbox can't see, naming the path to add; with it, lists the path", async () => {
  await page.goto("/settings/connections");
  await page.getByRole("heading", { level: 1, name: "Connections" }).waitFor();
  await page.getByLabel("Type", { exact: true }).selectOption("stdio");
  await page.getByLabel("Name", { exact: true }).fill("mini");
  await page.getByLabel("Command").fill("/usr/bin/node");
  await page.getByLabel("Arguments").fill(join(dir, "boot.js"));
  await page.getByRole("button", { name: "Add a variable" }).click();
  await page.getByLabel("Variable 1 name").fill("API_TOKEN");
  await page.getByLabel("Variable 1 value").fill(ENV_SECRET);
  await page.getByRole("button", { name: "Add connection" }).click();
  await page
    .getByText(
      `${join(dir, "boot.js")} is not visible inside the MCP server's sandbox; add ${dir} to its mounts (read-only paths it may see)`,
    )
    .waitFor();

  await page.getByLabel("Read-only paths it may see (optional)").fill(dir);
  await page.getByRole("button", { name: "Add connection" }).click();
  await page.getByRole("status").getByText("Added mini.").waitFor();
  const row = page.getByRole("region", { name: "Connections" }).getByRole("row", { name: /mini/ });
  await row.getByText(`Read-only: ${dir}`).waitFor();
  await row.getByText("not started yet").waitFor();
});

it("shows a server the gateway could not start as failing, with when and why; working once fixed", async () => {
  await listThroughGateway();
  await page.reload();
  const row = page.getByRole("region", { name: "Connections" }).getByRole("row", { name: /mini/ });
  await row.getByText("failing", { exact: true }).waitFor();
  await row.getByText(/^Last error/).waitFor();
  const message = await row.locator("pre").textContent();
  expect(message).toContain("exited with code 3 before the MCP handshake");
  expect(message).toContain(`fatal: ${dir}/config.json is missing; create it and restart`);
  expect(message).toContain("key=[redacted]");
  assertNoSecrets(await page.content());
  await shoot(page, "connections-failing");
  await assertNoHorizontalScroll(page);

  writeFileSync(join(dir, "config.json"), "{}", { mode: 0o644 });
  await listThroughGateway();
  await page.reload();
  await row.getByText("working", { exact: true }).waitFor();
  expect(await row.getByText(/^Last error/).count()).toBe(0);
  watcher.assertClean();
});
