// The first hour of a newcomer, end to end with real parts: a clean data dir, `mogplex serve` as a child process
// (what `npm start` runs after building), the one-time setup URL it prints opened in Chromium, the owner created
// and signed in, a token made under Settings → API keys, `mogplex repos list` with it, `mogplex login --device`
// approved in the browser, a run on a scripted OpenAI-compatible model in a real sandbox, and
// `mogplex runs events --follow` to its end with exit 0.
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bareRemote } from "../../../server/src/engine/test-support/engine.js";
import {
  type ScriptedModel,
  startScriptedModel,
} from "../../../server/src/engine/test-support/scripted-model.js";
import { authJson, freePort, killLive, startCli } from "./cli-support.js";
import { cleanEnv, cleanup, ensureBuilt, lines, runCli, type Served, serve, tempDir } from "./support.js";

const CHROMIUM = process.env.MOGPLEX_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const SLOW = 180_000;
const owner = { name: "Nia Newcomer", email: "nia@example.test", password: "a passphrase of several words" };

let model: ScriptedModel;
let server: Served;
let browser: Browser;
let page: Page;
let serverEnv: Record<string, string>;
let url = "";
let setupUrl = "";
let token = "";
let repoId = "";
/** Problems the browser reported (CSP, page errors, console errors): none are expected. */
const problems: string[] = [];

/** A client shell of its own: HOME and MOGPLEX_HOME fresh, nothing else from the test runner. */
function clientShell(extra: Record<string, string> = {}): Record<string, string> {
  const home = tempDir("mogplex-newcomer-home-");
  return cleanEnv(home, { MOGPLEX_HOME: join(home, ".mogplex"), ...extra });
}

beforeAll(async () => {
  ensureBuilt();
  model = await startScriptedModel();
  const home = tempDir("mogplex-newcomer-");
  // What the README tells a newcomer to set to give the server a model: an OpenAI-compatible endpoint.
  serverEnv = cleanEnv(home, {
    MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
    MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
    MOGPLEX_WORKER_CONCURRENCY: "1",
    MOGPLEX_WORKER_POLL_MS: "200",
  });
  // `npm start` is `npm run build && node apps/cli/dist/bin/mogplex.js serve` (the build is ensureBuilt()'s),
  // with its data in the default place, $HOME/.mogplex/server, fresh here.
  server = await serve(["--port", String(await freePort())], serverEnv);
  url = server.url;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(m.text());
  });
  page.on("pageerror", (err) => problems.push(err.message));
}, SLOW);

afterAll(async () => {
  killLive();
  await browser?.close();
  if (server) await server.stop();
  await model?.close();
  cleanup();
}, SLOW);

describe("a newcomer's first hour", { timeout: SLOW }, () => {
  it("serve prints a one-time setup URL; opening it creates the owner, who is signed in", async () => {
    setupUrl = /^ {2}(http:\/\/\S+\/setup#token=setup_\w+)$/m.exec(server.stdout())?.[1] ?? "";
    expect(setupUrl.startsWith(`${url}/setup#token=`)).toBe(true);
    await page.goto(setupUrl);
    await page.getByRole("heading", { level: 1, name: "Set up Mogplex" }).waitFor();
    await page.getByLabel("Your name").fill(owner.name);
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password", { exact: true }).fill(owner.password);
    await page.getByLabel("Repeat the password").fill(owner.password);
    await page.getByLabel("Team short name").fill("acme");
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.waitForURL(`${url}/runs`);
    await page.getByRole("button", { name: "Sign out", exact: true }).waitFor();
    // No repo yet: the runs page says how to add one.
    await page.getByText("No runs yet. Runs work on a repo, and this team has none yet.").waitFor();
    expect(problems).toEqual([]);
  });

  it("a token made under Settings → API keys lists the repo the operator added", async () => {
    // As the README says: on the server's machine, with its default data dir (~/.mogplex/server).
    const added = await runCli(
      ["admin", "add-repo", "--team", "acme", "--name", "acme/app", "--path", bareRemote(tempDir())],
      { env: serverEnv },
    );
    expect(added.code, added.stderr).toBe(0);
    repoId = added.stdout.trim();

    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    await page.getByLabel("Name", { exact: true }).fill("newcomer laptop");
    await page.getByLabel("Expires after").selectOption("90");
    await page.getByRole("button", { name: "Create token" }).click();
    const shown = page.getByLabel("New token", { exact: true });
    await shown.waitFor();
    token = await shown.inputValue();
    expect(token).toMatch(/^mog_[0-9A-Za-z]{32}$/);

    const repos = await runCli(["repos", "list"], {
      env: clientShell({ MOGPLEX_URL: url, MOGPLEX_API_KEY: token }),
    });
    expect(repos.code, repos.stderr).toBe(0);
    expect(repos.stdout).toBe(`${repoId}  acme/app  main\n`);
    expect(problems).toEqual([]);
  });

  it("login --device --server, approved in the browser, then a run followed to its end: exit 0", async () => {
    const shell = clientShell();
    const login = startCli(["login", "--device", "--server", url], shell);
    const m = await login.waitFor(/open (\S+) and enter the code: ([A-Z]{4}-[A-Z]{4})/);
    expect(m[1]).toBe(`${url}/device`);
    await page.goto(m[1] as string);
    await page.getByRole("heading", { level: 1, name: "Approve a device" }).waitFor();
    await page.getByLabel("Code shown in your terminal").fill(m[2] as string);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Approve device" }).click();
    await page.getByText("Device approved.").waitFor();
    expect(await login.exited()).toBe(0);
    expect(authJson(shell).mogplex).toMatchObject({ url, method: "device" });
    const status = await runCli(["auth", "status"], { env: shell });
    expect(status.stdout).toMatch(
      /Mogplex account login for \S+ \(token mog_\w{8}…, expires \d{4}-\d{2}-\d{2}\)/,
    );

    model.on("E2E-NEWCOMER", [
      { toolCalls: [{ name: "write_file", args: { path: "hello.txt", content: "hello from mogplex\n" } }] },
      { text: "Added hello.txt." },
    ]);
    const started = await runCli(["run", "--repo", repoId, "E2E-NEWCOMER: add a greeting file"], {
      env: shell,
    });
    expect(started.code, started.stderr).toBe(0);
    const runId = /^started run (\S+) \(pending\)$/m.exec(started.stdout)?.[1] as string;
    expect(runId).toBeTruthy();

    const follow = await runCli(["runs", "events", runId, "--follow"], { env: shell, timeoutMs: 120_000 });
    expect(follow.code, follow.stdout + follow.stderr).toBe(0);
    const printed = lines(follow.stdout);
    expect(printed.at(-1)).toBe(`run ${runId} success`);
    expect(printed.some((l) => / file_changed write_file: /.test(l))).toBe(true);
    expect(printed.some((l) => / commit: /.test(l))).toBe(true);

    const listed = lines((await runCli(["runs", "list"], { env: shell })).stdout);
    expect(listed[0]).toMatch(
      new RegExp(
        `^${runId} {2}success {4}acme/app {2}openai-compatible/scripted-coder +\\d+[smh] ago {2}E2E-NEWCOMER: add a greeting file$`,
      ),
    );
    // The run page names it by its prompt and shows the model it used.
    await page.goto(`${url}/runs/${runId}`);
    await page.getByRole("heading", { level: 1, name: /^E2E-NEWCOMER: add a greeting file/ }).waitFor();
    await page.getByText("openai-compatible/scripted-coder", { exact: true }).waitFor();
    expect(problems).toEqual([]);
  });
});
