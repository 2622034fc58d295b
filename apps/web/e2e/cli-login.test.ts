// In Chromium: `mogplex login` (browser consent with a loopback hand-off) and `mogplex login --device`
// (approval by code), each ending in a token that works on the API.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
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
const watcher = new Watcher();
const open: BrowserContext[] = [];

/** Stands in for the CLI's loopback listener: records each callback's query and answers a tiny page. */
class Loopback {
  readonly hits: URLSearchParams[] = [];
  private waiters: Array<() => void> = [];
  readonly server: Server = createServer((req, res) => {
    this.hits.push(new URL(req.url ?? "/", "http://127.0.0.1").searchParams);
    for (const w of this.waiters.splice(0)) w();
    res.writeHead(200, { "content-type": "text/html" }).end("<p>Signed in. You can close this tab.</p>");
  });
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/callback`;
  }
  next(): Promise<URLSearchParams> {
    const have = this.hits.shift();
    if (have) return Promise.resolve(have);
    return new Promise((resolve) => this.waiters.push(() => resolve(this.hits.shift() as URLSearchParams)));
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return {
    verifier,
    challenge: createHash("sha256").update(verifier).digest("base64url"),
    nonce: randomBytes(16).toString("hex"),
  };
}

const postJson = async (path: string, body: unknown) => {
  const res = await fetch(`${stack.base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
};
const repos = (token: string) =>
  fetch(`${stack.base}/api/v1/mogplex/repos`, { headers: { authorization: `Bearer ${token}` } });

async function freshPage(): Promise<Page> {
  const { context, page } = await newPage(stack, watcher);
  open.push(context);
  return page;
}

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.h.user({ team: "acme" });
});
afterAll(async () => {
  for (const c of open) await c.close();
  await stack?.close();
});

describe("mogplex login (browser)", () => {
  it("asks a signed-out person to sign in, shows the consent page, and hands the CLI a code for its token", async () => {
    const loopback = new Loopback();
    const callback = await loopback.start();
    try {
      const p = pkce();
      const query = new URLSearchParams({
        callback,
        nonce: p.nonce,
        code_challenge: p.challenge,
        code_challenge_method: "S256",
      });
      const page = await freshPage();
      await page.goto(`/cli-auth?${query}`);
      await page.waitForURL(/\/login\?next=/);
      await page.getByLabel("Email").fill(owner.email);
      await page.getByLabel("Password").fill(owner.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { level: 1, name: "Sign in to the Mogplex CLI?" }).waitFor();
      const text = (await page.locator("main").textContent()) ?? "";
      expect(text).toContain(owner.email);
      expect(text).toContain(`port ${new URL(callback).port}`);
      await shoot(page, "cli-auth-consent");
      await assertNoHorizontalScroll(page);
      await page.getByRole("button", { name: "Approve" }).click();
      const hit = await loopback.next();
      expect(hit.get("nonce")).toBe(p.nonce);
      const code = hit.get("code") ?? "";
      expect(code).not.toBe("");
      // The page never held the token: only the single-use code went to the loopback.
      const exchanged = await postJson("/api/cli-auth/token", { code, codeVerifier: p.verifier });
      expect(exchanged.status).toBe(200);
      expect(exchanged.body.token).toMatch(/^mog_/);
      expect((await repos(exchanged.body.token ?? "")).status).toBe(200);
      const replay = await postJson("/api/cli-auth/token", { code, codeVerifier: p.verifier });
      expect(replay.status).toBe(400);
      watcher.assertClean();
    } finally {
      await loopback.close();
    }
  });

  it("on Deny tells the CLI and creates nothing", async () => {
    const loopback = new Loopback();
    const callback = await loopback.start();
    try {
      const p = pkce();
      const page = await freshPage();
      const query = new URLSearchParams({
        callback,
        nonce: p.nonce,
        code_challenge: p.challenge,
        code_challenge_method: "S256",
      });
      await signIn(page, owner, { next: `/cli-auth?${query}` });
      await page.getByRole("button", { name: "Deny" }).click();
      const hit = await loopback.next();
      expect(hit.get("error")).toBe("access_denied");
      expect(hit.get("code")).toBeNull();
      watcher.assertClean();
    } finally {
      await loopback.close();
    }
  });
});

describe("mogplex login --device", () => {
  it("approves the code shown in the terminal; the next poll gets a working token", async () => {
    const started = await postJson("/api/cli-auth/device/code", {});
    expect(started.status).toBe(200);
    const complete = new URL(started.body.verification_uri_complete ?? "");
    expect(complete.origin).toBe(stack.base);
    const page = await freshPage();
    await page.goto(`${complete.pathname}${complete.search}`);
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill(owner.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Approve a device" }).waitFor();
    await page.getByText(started.body.user_code ?? "").waitFor();
    await page.getByText("from 127.0.0.1").waitFor();
    await shoot(page, "device-approve");
    await assertNoHorizontalScroll(page);
    const pending = await postJson("/api/cli-auth/device/token", {
      grant_type: "urn:ietf:params:oauth:grant-type:device_code",
      device_code: started.body.device_code,
    });
    expect(pending.body.error).toBe("authorization_pending");
    await page.getByRole("button", { name: "Approve device" }).click();
    await page.getByText("Device approved.").waitFor();
    await shoot(page, "device-approved");
    // Fresh clock window for the poll interval, as a real CLI would wait.
    await stack.h.s.db.db.updateTable("cli_device_codes").set({ last_polled_at: null }).execute();
    const polled = await postJson("/api/cli-auth/device/token", {
      grant_type: "urn:ietf:params:oauth:grant-type:device_code",
      device_code: started.body.device_code,
    });
    expect(polled.status).toBe(200);
    expect((await repos(polled.body.access_token ?? "")).status).toBe(200);
    watcher.assertClean();
  });

  it("takes a typed code on /device, and explains an unknown one", async () => {
    const page = await freshPage();
    await signIn(page, owner, { next: "/device" });
    await page.getByLabel("Code shown in your terminal").fill("bcdf-ghjk");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByText("That code is unknown, expired or already used.").waitFor();
    await shoot(page, "device-unknown");
    watcher.assertClean();
  });
});
