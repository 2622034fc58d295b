// In Chromium against a real server, run engine and sandbox: a member opens a run's preview from its page and the
// dev server's page loads its own script, stylesheet and fetch and opens its WebSocket (hot reload's way) on the
// preview's own origin (no interception, no header overrides); from there, the control plane's API and cookies
// are out of reach.
import { randomUUID } from "node:crypto";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEngine } from "../../server/src/engine/index.js";
import { bareRemote, untilTerminal } from "../../server/src/engine/test-support/engine.js";
import {
  type ScriptedModel,
  startScriptedModel,
} from "../../server/src/engine/test-support/scripted-model.js";
import type { Worker } from "../../server/src/engine/worker.js";
import { WS_ECHO } from "../../server/src/sandboxes/preview-host/test-support/ws.js";
import type { TestUser } from "../../server/src/test-support/harness.js";
import { newPage, type Stack, signIn, startStack, Watcher } from "./support.js";

// A tiny app: a page whose script fetches the dev server's API and writes what it said, and sends a message over
// a WebSocket to the dev server's echo (/ws) and writes the echo.
const APP_JS = `fetch('/api/hello').then((r) => r.json()).then((j) => { document.getElementById('out').textContent = 'app.js: ' + j.hello; });
const ws = new WebSocket('ws://' + location.host + '/ws');
ws.onopen = () => ws.send('hello over ws');
ws.onmessage = (m) => { if (m.data.startsWith('echo:')) document.getElementById('ws').textContent = m.data; };`;
const SERVER = `${WS_ECHO}
const http = require("http");
const files = {
  "/": ["text/html", '<!doctype html><link rel="stylesheet" href="/style.css"><p id="out">loading</p><p id="ws">waiting</p><script src="/app.js"></script>'],
  "/style.css": ["text/css", "#out { color: rgb(1, 2, 3); }"],
  "/app.js": ["text/javascript", ${JSON.stringify(APP_JS)}],
  "/api/hello": ["application/json", JSON.stringify({ hello: "hello from the dev server" })],
};
const server = http.createServer((q, s) => {
  const f = files[q.url];
  if (!f) { s.writeHead(404); return s.end(); }
  s.writeHead(200, { "content-type": f[0], "set-cookie": "app=1; Path=/" });
  s.end(f[1]);
});
wsEcho(server);
server.listen(Number(process.env.PORT), "127.0.0.1");
`;

let stack: Stack;
let model: ScriptedModel;
let worker: Worker;
let context: BrowserContext;
let page: Page;
const watcher = new Watcher();
let owner: TestUser;
let token = "";
let repoId = "";

beforeAll(async () => {
  model = await startScriptedModel();
  stack = await startStack({
    env: {
      MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
      MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
      MOGPLEX_SANDBOX_PROCESSES: "128",
    },
  });
  worker = await startEngine(stack.h.s, { pollMs: 200 });
  owner = await stack.h.user({ team: "acme" });
  token = (await stack.h.pat(owner)).token;
  const repo = await stack.h.s.repos.add(
    {
      teamId: owner.teamId,
      fullName: "acme/site",
      sourceUrl: bareRemote(stack.h.dataDir, { "server.js": SERVER }),
      defaultBranch: "main",
      devCommand: "node server.js",
      port: 5173,
    },
    { actorType: "system", actorId: null },
  );
  repoId = repo.id;
  ({ context, page } = await newPage(stack, watcher));
  await signIn(page, owner);
}, 60_000);
afterAll(async () => {
  await context?.close();
  await worker?.stop();
  await stack?.close();
  await model?.close();
});

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${stack.base}/api/v1/mogplex${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "idempotency-key": randomUUID(),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return ((await res.json()) as { data: T }).data;
}

describe("previews in the browser", () => {
  it("a member opens the run's preview: its page, script, stylesheet, fetch and WebSocket all work on its own origin", async () => {
    model.on("SITE", [{ delayMs: 120_000, text: "held" }]);
    const { run } = await api<{ run: { id: string } }>("POST", "/runs", { repoId, prompt: "SITE serve it" });
    const until = Date.now() + 30_000;
    let previewUrl: string | null = null;
    while (!previewUrl) {
      if (Date.now() > until) throw new Error("the run got no preview URL");
      await new Promise((r) => setTimeout(r, 100));
      previewUrl = (await api<{ run: { previewUrl: string | null } }>("GET", `/runs/${run.id}`)).run
        .previewUrl;
    }
    const sandboxId = previewUrl.split("/")[2] as string;

    await page.goto(`/runs/${run.id}`);
    const link = page.getByRole("link", { name: "Open the dev server" });
    expect(await link.getAttribute("href")).toBe(previewUrl);
    // The dev server starts after the URL is set: open (again) until its page is there.
    let preview: Page | null = null;
    const ready = Date.now() + 20_000;
    for (;;) {
      const opened = context.waitForEvent("page");
      await link.click();
      preview = await opened;
      await preview.waitForLoadState();
      if ((await preview.locator("#out").count()) > 0 || Date.now() > ready) break;
      await preview.close();
      await new Promise((r) => setTimeout(r, 300));
    }
    const out = preview.locator("#out");
    await out.getByText("app.js: hello from the dev server").waitFor();
    await preview.locator("#ws").getByText("echo:hello over ws").waitFor();
    expect(new URL(preview.url()).origin).toBe(
      `http://${sandboxId}.preview.localhost:${new URL(stack.base).port}`,
    );
    expect(new URL(preview.url()).pathname).toBe("/");
    expect(await preview.evaluate("getComputedStyle(document.getElementById('out')).color")).toBe(
      "rgb(1, 2, 3)",
    );

    // Its scripts see the dev server's cookies only, the one its WebSocket answer set included (ours is HttpOnly,
    // the forged one under our name in that answer was dropped; the control plane's is on another host) …
    expect(await preview.evaluate("document.cookie")).toBe("app=1; ws=1");
    // … and cannot read the control plane's API as the member.
    const reached =
      await preview.evaluate(`fetch(${JSON.stringify(`${stack.base}/api/web/session`)}, { credentials: "include" })
      .then((r) => "answered " + r.status, () => "blocked")`);
    expect(reached).toBe("blocked");
    await preview.close();

    await api("POST", `/runs/${run.id}/cancel`);
    expect((await untilTerminal(stack.h, owner.teamId, run.id)).status).toBe("cancelled");
    watcher.assertClean();
  });
});
