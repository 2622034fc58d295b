// In Chromium: every page of the web app, filled with long names and many rows, fits a 1280 px desktop and a
// 390 px phone without scrolling sideways (wide content wraps or scrolls inside its own region).
import { randomUUID } from "node:crypto";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditContext } from "../../server/src/audit/store.js";
import { makePackage } from "../../server/src/registry/test-support/packages.js";
import { fund, pendingApproval } from "../../server/src/registry/wallet/test-support/fixtures.js";
import type { TestUser } from "../../server/src/test-support/harness.js";
import { DESKTOP, newPage, PHONE, type Stack, shoot, signIn, startStack, Watcher } from "./support.js";

let stack: Stack;
let context: BrowserContext;
let page: Page;
const watcher = new Watcher();
let owner: TestUser;
let runId = "";
const SYSTEM: AuditContext = { actorType: "system", actorId: null };
const LONG = "a-rather-long-name-that-keeps-going-without-any-spaces";
/** A long address (local parts stop at 64 characters). */
const mail = (who: string) => `${who}.with.a.rather.long.address@an-example-domain-for-layout-tests.test`;

/**
 * document.scrollWidth against the viewport at both widths (the page is re-laid out at each), and every table
 * against its own scroll region: a table that only fits by scrolling inside it hides its last columns.
 */
async function overflowAt(p: Page): Promise<string[]> {
  const wide: string[] = [];
  const path = new URL(p.url()).pathname;
  for (const size of [DESKTOP, PHONE]) {
    await p.setViewportSize(size);
    const [scroll, inner, tables] = (await p.evaluate(`[
      document.documentElement.scrollWidth,
      window.innerWidth,
      [...document.querySelectorAll(".table-wrap")]
        .filter((t) => t.scrollWidth > t.clientWidth + 1)
        .map((t) => t.getAttribute("aria-label") + " table is " + t.scrollWidth + "px in " + t.clientWidth + "px"),
    ]`)) as [number, number, string[]];
    if (scroll > inner) wide.push(`${path} is ${scroll}px wide at ${inner}px`);
    for (const t of tables) wide.push(`${path}: ${t} at ${inner}px`);
  }
  await p.setViewportSize(DESKTOP);
  return wide;
}

/** Opens `path`, waits for its heading and for `ready` (proof the page's data is in), and measures it. */
async function visit(
  p: Page,
  shot: string,
  path: string,
  heading: string | RegExp,
  ready?: string,
): Promise<string[]> {
  await p.goto(path);
  await p.getByRole("heading", { level: 1, name: heading }).waitFor();
  if (ready) await p.getByText(ready, { exact: false }).first().waitFor();
  await p
    .getByRole("status")
    .filter({ hasText: /^Loading/ })
    .waitFor({ state: "detached" });
  await shoot(p, `layout-${shot}`);
  return overflowAt(p);
}

beforeAll(async () => {
  stack = await startStack({ env: { MOGPLEX_RUN_START_LIMITS: "1000/1m,1000/1h,1000/1d" } });
  ({ context, page } = await newPage(stack, watcher));
});
afterAll(async () => {
  await context?.close();
  await stack?.close();
});

describe("no page scrolls sideways at 1280 or 390 px", () => {
  it("before anyone signs in: setup, sign-in, invitation, setup done", async () => {
    const token = await stack.h.s.identity.issueSetupToken();
    const wide = [
      ...(await visit(page, "setup-needed", "/", "This Mogplex server is not set up yet")),
      ...(await visit(page, "setup", `/setup#token=${token}`, "Set up Mogplex")),
    ];
    owner = await stack.h.user({ team: "acme", email: mail("owner") });
    wide.push(
      ...(await visit(page, "login", "/login", "Sign in")),
      ...(await visit(page, "setup-done", "/setup", "Setup is already complete")),
      ...(await visit(page, "invite", "/invite?token=inv_unknown", /invited/i)),
    );
    expect(wide).toEqual([]);
    watcher.assertClean();
  });

  it("signed in, with long names and many rows on every page", async () => {
    const { h } = stack;
    const s = h.s;
    for (let i = 0; i < 3; i++) {
      await h.user({ team: "acme", role: "member", email: mail(`member${i}`) });
    }
    await s.teams.invite(
      { userId: owner.userId, teamId: owner.teamId, role: "owner" },
      mail("invitee"),
      "member",
      SYSTEM,
    );
    const repoId = await h.repo(owner.teamId, `acme/${LONG}`);
    await h.repo(owner.teamId, "acme/web");
    const pat = await h.pat(owner, { name: `laptop CLI ${LONG}` });
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${stack.base}/api/v1/mogplex/runs`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${pat.token}`,
          "content-type": "application/json",
          "idempotency-key": randomUUID(),
        },
        body: JSON.stringify({
          repoId,
          prompt: `Refactor ${LONG}-${LONG} and rename every caller of it across the whole code base, then run the tests ${i}\nsecond line`,
        }),
      });
      expect(res.status).toBe(202);
      runId = ((await res.json()) as { data: { run: { id: string } } }).data.run.id;
    }
    await s.db.db
      .updateTable("runs")
      .set({ model: `openai-compatible/${LONG}-instruct-v2.5` })
      .where("id", "=", runId)
      .execute();
    await s.events.append(runId, [
      { type: "log", message: `cloned into /workspace/${LONG}/${LONG}/${LONG}` },
      {
        type: "tool_started",
        toolName: "run_command",
        message: `npm test -- ${LONG}`,
        payload: { cwd: LONG },
      },
    ]);
    const servers: Array<[string, string]> = [
      [`files-${LONG}`.slice(0, 60), `https://mcp.example.test/${LONG}/${LONG}/mcp`],
      ["remote", "https://mcp.example.test/mcp"],
    ];
    for (const [name, url] of servers) {
      await s.connections.create(
        owner.teamId,
        owner.userId,
        { kind: "mcp_server", name, url, headers: { Authorization: "Bearer not-shown", [`X-${LONG}`]: "v" } },
        SYSTEM,
      );
    }
    await s.connections.create(
      owner.teamId,
      owner.userId,
      {
        kind: "mcp_server",
        name: "local",
        command: "/usr/bin/node",
        args: ["--max-old-space-size=4096", `--title=${LONG}`, "--no-warnings"],
        env: { [`TOKEN_${LONG.replaceAll("-", "_").toUpperCase()}`]: "secret" },
        egressHosts: ["api.example.test", `${LONG}.example.test`],
      },
      SYSTEM,
    );
    await s.gateway.keys.create(owner.userId, owner.teamId, { name: `gateway key ${LONG}` }, SYSTEM);

    await signIn(page, owner);
    const wide = [
      ...(await visit(page, "runs", "/runs", "Runs", "Refactor")),
      ...(await visit(page, "run", `/runs/${runId}`, /^Refactor/, "cloned into")),
      ...(await visit(page, "repos", "/repos", "Repos", `acme/${LONG}`)),
      ...(await visit(page, "team", "/team", /./, mail("invitee"))),
      ...(await visit(page, "audit", "/audit", "Audit log", "run.created")),
      ...(await visit(page, "api-keys", "/settings/api-keys", "API keys", `laptop CLI ${LONG}`)),
      ...(await visit(page, "gateway-keys", "/settings/gateway-keys", "Gateway keys", `gateway key ${LONG}`)),
      ...(await visit(page, "connections", "/settings/connections", "Connections", "api.example.test")),
      ...(await visit(page, "models", "/settings/models", "Models")),
      ...(await visit(page, "usage", "/settings/usage", "Usage")),
      ...(await visit(page, "security", "/settings/security", "Security")),
      ...(await visit(page, "account", "/settings/account", "Account")),
      ...(await visit(page, "device", "/device", "Approve a device")),
      ...(await visit(page, "not-found", "/no-such-page", "Page not found")),
    ];
    expect(wide).toEqual([]);
    watcher.assertClean();
  });

  it("the registry pages, with long names, a wallet, a spend policy and a pending approval", async () => {
    const { h } = stack;
    const vendor = `acme-${"v".repeat(27)}`;
    const name = `${vendor}/${LONG}`;
    const pat = await h.pat(owner, {
      name: `registry CLI ${LONG}`,
      scopes: ["read", "sell", "purchase", "download"],
    });
    const api = async (method: string, path: string, body?: Uint8Array | object) => {
      const zip = body instanceof Uint8Array;
      const res = await fetch(`${stack.base}/api/v1/registry${path}`, {
        method,
        headers: {
          authorization: `Bearer ${pat.token}`,
          ...(body ? { "content-type": zip ? "application/zip" : "application/json" } : {}),
        },
        body: zip ? body : body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as { data: Record<string, unknown> } };
    };
    expect((await api("POST", "/vendors", { slug: vendor, name: `Acme ${LONG}` })).status).toBe(201);
    const description = `Reviews ${LONG} and ${LONG}, then explains every change it would make in detail`;
    const up = await api("POST", "/releases", new Uint8Array(await makePackage({ name, description })));
    expect(up.status).toBe(202);
    await h.s.registry.scans.runOnce();
    expect((await api("POST", "/entitlements", { name })).status).toBe(201);
    await fund(h, owner.teamId, 123_456);
    const approvalId = await pendingApproval(h, owner);

    const wide = [
      ...(await visit(page, "registry", "/registry", "Registry", name)),
      ...(await visit(page, "registry-listing", `/registry/packages/${name}`, name, "Archive SHA-256")),
      ...(await visit(page, "registry-vendor", "/registry/vendor", "Vendor", name)),
      ...(await visit(page, "registry-entitlements", "/registry/entitlements", "Entitlements", name)),
      ...(await visit(page, "registry-wallet", "/registry/wallet", "Wallet", "Top-up")),
      ...(await visit(page, "registry-policies", "/registry/spend-policies", "Spend policies", LONG)),
      ...(await visit(page, "registry-approvals", "/registry/approvals", "Approvals", "acme/")),
      ...(await visit(page, "registry-approval", `/registry/approvals/${approvalId}`, /^Approve/, "$5.00")),
    ];
    expect(wide).toEqual([]);
    watcher.assertClean();
  });
});
