// Previews end to end: a repo's dev command runs in the run's sandbox and is reachable only through the
// control plane's preview route, by signed-in members of the team, until the sandbox stops.
import type { Run, Sandbox } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API, dataOf, type Env, startRun } from "../runs/test-support/api.js";
import { uniq } from "../test-support/harness.js";
import { bareRemote, untilEvent, untilTerminal } from "./test-support/engine.js";
import { type RunFixture, startRunFixture } from "./test-support/run-fixture.js";

const PORT = 4321;
// The repo's dev server: echoes what it was asked and with which cookies, plants a cookie, redirects.
const SERVER = `
const http = require("http");
http.createServer((q, s) => {
  if (q.url === "/go") {
    s.writeHead(302, { location: "/there", "set-cookie": "planted=1; Path=/" });
    return s.end();
  }
  if (q.method === "POST") {
    let body = "";
    q.on("data", (d) => { body += d; });
    return q.on("end", () => s.end("posted " + q.headers["content-type"] + " " + body));
  }
  s.setHeader("set-cookie", "mogplex.session_token=forged; Path=/");
  s.end("preview " + q.url + " base=" + process.env.MOGPLEX_PREVIEW_BASE + " cookie=" + (q.headers.cookie || "none"));
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

const held = { delayMs: 120_000, text: "never answered in time" };

async function previewRepo(f: RunFixture): Promise<string> {
  const remote = bareRemote(f.h.dataDir, { "server.js": SERVER });
  const repo = await f.h.s.repos.add(
    {
      teamId: f.a.user.teamId,
      fullName: `acme/${uniq("preview")}`,
      sourceUrl: remote,
      defaultBranch: "main",
      devCommand: "node server.js",
      port: PORT,
    },
    { actorType: "system", actorId: null },
  );
  return repo.id;
}

async function getRun(f: RunFixture, id: string): Promise<Run> {
  return dataOf((await f.h.json<Env<{ run: Run }>>("GET", `${API}/runs/${id}`, { token: f.a.token })).body)
    .run;
}

async function getSandbox(f: RunFixture, id: string): Promise<Sandbox> {
  const r = await f.h.json<Env<{ sandbox: Sandbox }>>("GET", `${API}/sandboxes/${id}`, { token: f.a.token });
  return dataOf(r.body).sandbox;
}

/** Starts a run held in its first model call and waits until its preview URL is set. */
async function runWithPreview(f: RunFixture, marker: string): Promise<Run> {
  f.model.on(marker, [held]);
  const repoId = await previewRepo(f);
  const started = await startRun(f.h, f.a.token, { repoId, prompt: `${marker} serve it` });
  const id = dataOf(started.body).run.id;
  const until = Date.now() + 30_000;
  for (;;) {
    const run = await getRun(f, id);
    if (run.previewUrl) return run;
    if (Date.now() > until) throw new Error(`run ${id} got no preview URL (${run.status}, ${run.error})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** GETs a preview path until the dev server answers 200 (it starts after the URL is set). */
async function untilServed(f: RunFixture, path: string, cookie: string): Promise<Response> {
  const until = Date.now() + 20_000;
  for (;;) {
    const res = await f.h.request("GET", path, { cookie });
    if (res.status === 200) return res;
    if (res.status !== 503 || Date.now() > until) {
      throw new Error(`preview answered ${res.status}: ${await res.text()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** After a stop, the preview must stop answering: polls for up to 2 s for a refusal, then fails. */
async function untilGone(f: RunFixture, path: string, cookie: string): Promise<number> {
  const until = Date.now() + 2_000;
  for (;;) {
    const res = await f.h.request("GET", path, { cookie });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status !== 200) return res.status;
    if (Date.now() > until) throw new Error(`preview ${path} still answers 200 after the sandbox stopped`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("previews (API stop)", () => {
  let f: RunFixture;
  beforeAll(async () => {
    f = await startRunFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  it("serves the dev server to members only, never hands it their cookies, and stops with the sandbox", async () => {
    const run = await runWithPreview(f, "PREVIEW-STOP");
    const sandboxId = run.sandboxId as string;
    const url = `/preview/${sandboxId}/`;
    expect(run.previewUrl).toBe(url);
    expect((await getSandbox(f, sandboxId)).previewUrl).toBe(url);

    const member = await f.h.signIn(f.a.user);
    const res = await untilServed(f, `${url}hello?x=1`, member);
    const text = await res.text();
    expect(text).toBe(`preview /hello?x=1 base=${url} cookie=none`);
    // Its documents get an opaque origin; its cookies never reach the control plane's host.
    expect(res.headers.get("content-security-policy")).toMatch(/^sandbox allow-scripts/);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(res.headers.get("cache-control")).toBe("no-store");
    const redirect = await f.h.request("GET", `${url}go`, { cookie: member });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe(`${url}there`);
    expect(redirect.headers.get("set-cookie")).toBeNull();
    // The bare path redirects to the preview's root (after the same checks).
    const bare = await f.h.request("GET", `/preview/${sandboxId}?a=b`, { cookie: member });
    expect(bare.status).toBe(308);
    expect(bare.headers.get("location")).toBe(`${url}?a=b`);

    // Bodies go through (a declared length over the cap is refused before the dev server sees any).
    const posted = await f.h.request("POST", `${url}form`, {
      cookie: member,
      rawBody: "a=1&b=2",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(await posted.text()).toBe("posted application/x-www-form-urlencoded a=1&b=2");
    const huge = await f.h.request("POST", `${url}form`, {
      cookie: member,
      rawBody: "x",
      headers: { "content-length": String(11 * 1024 * 1024) },
    });
    expect(huge.status).toBe(413);

    // No session: 401. A token is not a session: 403.
    expect((await f.h.request("GET", url)).status).toBe(401);
    expect((await f.h.request("GET", url, { token: f.a.token })).status).toBe(403);
    // Someone outside the team gets the same 404 as for a sandbox that does not exist.
    const outsider = await f.h.user();
    const theirs = await f.h.json<Env<unknown>>("GET", url, { cookie: await f.h.signIn(outsider) });
    const missing = await f.h.json<Env<unknown>>("GET", `/preview/${uniq("nosuch")}/`, { cookie: member });
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(theirs.body).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND", message: "Preview not found" },
    });
    expect(missing.body).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND", message: "Preview not found" },
    });

    const stopped = await f.h.json<Env<unknown>>("POST", `${API}/sandboxes/${sandboxId}/stop`, {
      token: f.a.token,
    });
    expect(stopped.status).toBe(200);
    expect([404, 503]).toContain(await untilGone(f, `${url}hello`, member));
    const ended = await untilTerminal(f.h, f.a.user.teamId, run.id);
    expect(ended.previewUrl).toBeNull();
    expect((await getSandbox(f, sandboxId)).previewUrl).toBeNull();
  });

  it("a dev server that exits takes its preview down and says why; the run goes on", async () => {
    f.model.on("PREVIEW-CRASH", [held]);
    const remote = bareRemote(f.h.dataDir);
    const repo = await f.h.s.repos.add(
      {
        teamId: f.a.user.teamId,
        fullName: `acme/${uniq("crash")}`,
        sourceUrl: remote,
        defaultBranch: "main",
        devCommand: 'sleep 1; echo "cannot bind port $PORT" >&2; exit 3',
        port: PORT,
      },
      { actorType: "system", actorId: null },
    );
    const started = await startRun(f.h, f.a.token, { repoId: repo.id, prompt: "PREVIEW-CRASH go" });
    const id = dataOf(started.body).run.id;
    const exited = await untilEvent(f.h, id, (e) => /^Dev server exited/.test(e.message ?? ""));
    expect(exited.message).toBe("Dev server exited (3); the preview is gone");
    expect(exited.payload).toMatchObject({ exitCode: 3, stderr: `cannot bind port ${PORT}` });
    const run = await getRun(f, id);
    expect(run.status).toBe("running");
    expect(run.previewUrl).toBeNull();
    const member = await f.h.signIn(f.a.user);
    expect((await f.h.request("GET", `/preview/${run.sandboxId}/`, { cookie: member })).status).toBe(404);
    await f.h.json("POST", `${API}/runs/${id}/cancel`, { token: f.a.token });
    expect((await untilTerminal(f.h, f.a.user.teamId, id)).status).toBe("cancelled");
  });

  it("a repo without a dev command gets no preview", async () => {
    f.model.on("NO-PREVIEW", [{ text: "nothing to do" }]);
    const started = await startRun(f.h, f.a.token, { repoId: f.a.repoId, prompt: "NO-PREVIEW please" });
    const ended = await untilTerminal(f.h, f.a.user.teamId, dataOf(started.body).run.id);
    expect(ended.status).toBe("success");
    expect(ended.previewUrl).toBeNull();
    expect((await getSandbox(f, ended.sandboxId as string)).previewUrl).toBeNull();
  });
});

describe("previews (idle timeout)", () => {
  let f: RunFixture;
  beforeAll(async () => {
    f = await startRunFixture({ MOGPLEX_SANDBOX_IDLE_MS: "3000" });
  });
  afterAll(async () => {
    await f.close();
  });

  it("stops answering once the sandbox idles out", async () => {
    const run = await runWithPreview(f, "PREVIEW-IDLE");
    const url = run.previewUrl as string;
    const member = await f.h.signIn(f.a.user);
    await untilServed(f, `${url}up`, member);
    // Nothing happens in the sandbox now (the model call is held): the idle timer ends it.
    const ended = await untilTerminal(f.h, f.a.user.teamId, run.id, 30_000);
    expect(ended.error).toMatch(/^sandbox_idle_timeout/);
    expect((await getSandbox(f, run.sandboxId as string)).stopReason).toBe("idle_timeout");
    expect([404, 503]).toContain(await untilGone(f, `${url}up`, member));
    expect(ended.previewUrl).toBeNull();
  });
});
