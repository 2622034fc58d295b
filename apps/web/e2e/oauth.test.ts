// In Chromium, against the real server: the official MCP SDK client's OAuth support (an OAuthClientProvider)
// connects to /mcp by URL alone — discovery from the 401, dynamic registration, sign-in and consent to one tool
// in the browser, code exchange with PKCE — sees only that tool and calls it; after "Disconnect" in Settings →
// Connected apps, the next call is refused. No token ever reaches a log line or the audit log.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stdioEverything } from "../../server/src/gateway/test-support/everything.js";
import { createLogger } from "../../server/src/logger.js";
import type { TestUser } from "../../server/src/test-support/harness.js";
import { assertNoHorizontalScroll, newPage, type Stack, shoot, startStack, Watcher } from "./support.js";

const SLOW = 120_000;
let stack: Stack;
let owner: TestUser;
const watcher = new Watcher();
const open: BrowserContext[] = [];
const logLines: string[] = [];

/** The MCP client's loopback listener (RFC 8252): the browser brings the code here. */
class Callback {
  private server!: Server;
  port = 0;
  private waiting: ((code: string) => void) | null = null;
  readonly codes: string[] = [];

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const code = url.searchParams.get("code");
      res
        .writeHead(200, { "content-type": "text/html" })
        .end("<h1>Connected</h1><p>You can close this tab.</p>");
      if (url.pathname === "/callback" && code) {
        this.codes.push(code);
        this.waiting?.(code);
      }
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }
  next(): Promise<string> {
    return new Promise((r) => {
      this.waiting = r;
    });
  }
  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** An in-memory OAuthClientProvider, as an MCP client application implements one. */
class MemoryProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  authorizationUrl: URL | undefined;
  constructor(private readonly port: number) {}
  get redirectUrl() {
    return `http://127.0.0.1:${this.port}/callback`;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "E2E MCP Client",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(t: OAuthTokens) {
    this.saved = t;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

const callback = new Callback();

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  stack = await startStack({ logger: createLogger("debug", sink) });
  owner = await stack.h.user({ team: "acme" });
  await stack.h.s.connections.create(
    owner.teamId,
    owner.userId,
    { kind: "mcp_server", name: "everything", ...stdioEverything() },
    { actorType: "system", actorId: null },
  );
  await callback.start();
});
afterAll(async () => {
  for (const c of open) await c.close();
  await callback.close();
  await stack?.close();
});

async function freshPage(): Promise<Page> {
  const { context, page } = await newPage(stack, watcher);
  open.push(context);
  return page;
}

const connect = async (provider: MemoryProvider) => {
  const client = new Client({ name: "e2e", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${stack.base}/mcp`), {
    authProvider: provider,
  });
  await client.connect(transport);
  return { client, transport };
};

describe("an MCP client connects by URL alone (OAuth 2.1)", { timeout: SLOW }, () => {
  it("discovers, registers, is consented one tool in the browser, uses it; disconnecting refuses the next call", async () => {
    const provider = new MemoryProvider(callback.port);
    // 1. No credentials: 401 → resource metadata → authorization server → registration → the browser.
    const first = new StreamableHTTPClientTransport(new URL(`${stack.base}/mcp`), { authProvider: provider });
    await expect(new Client({ name: "e2e", version: "1.0.0" }).connect(first)).rejects.toThrow(
      /Unauthorized/i,
    );
    expect(provider.info?.client_id).toBeTruthy();
    const authUrl = provider.authorizationUrl;
    expect(authUrl?.href.startsWith(`${stack.base}/api/auth/oauth2/authorize?`)).toBe(true);
    expect(authUrl?.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authUrl?.searchParams.get("resource")).toBe(`${stack.base}/mcp`);

    // 2. In the browser: sign in (sent there by the consent page), choose one tool, Allow.
    const page = await freshPage();
    await page.goto(authUrl?.href ?? "");
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill(owner.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Connect an app to Mogplex?" }).waitFor();
    const echo = page.getByRole("checkbox", { name: "everything__echo" });
    await echo.waitFor();
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).toContain("E2E MCP Client");
    expect(text).toContain(`127.0.0.1:${callback.port}`);
    await echo.check();
    await shoot(page, "oauth-consent");
    await assertNoHorizontalScroll(page);
    const code = callback.next();
    await page.getByRole("button", { name: "Allow" }).click();
    await page.getByRole("heading", { name: "Connected" }).waitFor();

    // 3. Code exchange with the PKCE verifier; the client now sees only the consented tool, and it works.
    await first.finishAuth(await code);
    const access = provider.saved?.access_token ?? "";
    expect(access).not.toBe("");
    const { client } = await connect(provider);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(["everything__echo"]);
    const echoed = await client.callTool({ name: "everything__echo", arguments: { message: "by oauth" } });
    expect(JSON.stringify(echoed)).toContain("Echo: by oauth");

    // 4. Settings → Connected apps lists it; Disconnect.
    await page.goto("/settings/connected-apps");
    await page.getByRole("heading", { level: 1, name: "Connected apps" }).waitFor();
    const row = page.getByRole("row", { name: /E2E MCP Client/ });
    await row.waitFor();
    await shoot(page, "oauth-connected-apps");
    await row.getByRole("button", { name: /Disconnect/ }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Disconnect" }).click();
    await page.getByText("No apps are connected.").waitFor();

    // 5. The very next request with the token is refused (and the SDK client's next call fails).
    const raw = await fetch(`${stack.base}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${access}`,
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
      }),
    });
    expect(raw.status).toBe(401);
    await expect(
      client.callTool({ name: "everything__echo", arguments: { message: "again" } }),
    ).rejects.toThrow();

    // No token, code or verifier in any log line or audit payload.
    const audit = JSON.stringify(await stack.h.s.db.db.selectFrom("audit_events").selectAll().execute());
    expect(audit).toContain("oauth_grant.created");
    expect(audit).toContain("oauth_grant.revoked");
    const secrets = [access, provider.saved?.refresh_token ?? "", provider.verifier, ...callback.codes];
    for (const s of secrets.filter(Boolean)) {
      expect(audit).not.toContain(s);
      expect(logLines.join("")).not.toContain(s);
    }
    watcher.assertClean();
  });
});
