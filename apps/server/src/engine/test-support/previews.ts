// Preview test support: a run held in its first model call with a dev server up, and the member's way in — the
// control plane's hand-off, then the preview host (http://<id>.preview.localhost:4100, routed by Host).
import type { Run, Sandbox } from "@mogplex/contract";
import { expect } from "vitest";
import { API, dataOf, type Env, startRun } from "../../runs/test-support/api.js";
import { type Harness, uniq } from "../../test-support/harness.js";
import { bareRemote } from "./engine.js";
import type { RunFixture } from "./run-fixture.js";

export const PORT = 4321;
const held = { delayMs: 120_000, text: "never answered in time" };

// The repo's dev server: echoes what it was asked and with which cookies and credentials, plants cookies
// (one under our reserved name), redirects to itself, echoes bodies.
export const SERVER = `
const http = require("http");
http.createServer((q, s) => {
  if (q.url === "/go") {
    s.writeHead(302, { location: "http://localhost:" + process.env.PORT + "/there", "set-cookie": "planted=1; Path=/" });
    return s.end();
  }
  if (q.method === "POST") {
    let body = "";
    q.on("data", (d) => { body += d; });
    return q.on("end", () => s.end("posted " + q.headers["content-type"] + " " + body));
  }
  s.setHeader("set-cookie", ["mogplex_preview=forged; Path=/", "mogplex.session_token=forged; Path=/", "app=1; Path=/"]);
  s.end("preview " + q.url + " base=" + process.env.MOGPLEX_PREVIEW_BASE + " cookie=" + (q.headers.cookie || "none") +
    " auth=" + (q.headers.authorization || "none"));
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

export const previewHost = (sandboxId: string) => `http://${sandboxId}.preview.localhost:4100`;

export async function getRun(f: RunFixture, id: string): Promise<Run> {
  return dataOf((await f.h.json<Env<{ run: Run }>>("GET", `${API}/runs/${id}`, { token: f.a.token })).body)
    .run;
}

export async function getSandbox(f: RunFixture, id: string): Promise<Sandbox> {
  const r = await f.h.json<Env<{ sandbox: Sandbox }>>("GET", `${API}/sandboxes/${id}`, { token: f.a.token });
  return dataOf(r.body).sandbox;
}

/** Starts a run of a repo whose dev command serves `server` (SERVER), held in its first model call, once its URL is set. */
export async function runWithPreview(f: RunFixture, marker: string, server = SERVER): Promise<Run> {
  f.model.on(marker, [held]);
  const remote = bareRemote(f.h.dataDir, { "server.js": server });
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
  const started = await startRun(f.h, f.a.token, { repoId: repo.id, prompt: `${marker} serve it` });
  const id = dataOf(started.body).run.id;
  const until = Date.now() + 30_000;
  for (;;) {
    const run = await getRun(f, id);
    if (run.previewUrl) return run;
    if (Date.now() > until) throw new Error(`run ${id} got no preview URL (${run.status}, ${run.error})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A request to a preview host (absolute URL), as a browser there would send it. */
export function hostRequest(
  h: Harness,
  url: string,
  o: { method?: string; cookie?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.cookie) headers.cookie = o.cookie;
  return Promise.resolve(h.app.request(url, { method: o.method ?? "GET", headers, body: o.body }));
}

/** The control plane's hand-off for `path`: the preview host URL carrying the single-use code. */
export async function handOffUrl(
  h: Harness,
  sandboxId: string,
  path: string,
  session: string,
): Promise<string> {
  const res = await h.request("GET", `/preview/${sandboxId}${path}`, { cookie: session });
  expect(res.status, await res.clone().text()).toBe(302);
  return res.headers.get("location") as string;
}

/** Follows the hand-off to the preview host: the preview cookie ("name=value") and where it lands. */
export async function redeem(h: Harness, handoff: string): Promise<{ cookie: string; landing: string }> {
  const res = await hostRequest(h, handoff);
  expect(res.status, await res.clone().text()).toBe(302);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] as string;
  expect(cookie).toMatch(/^mogplex_preview=[A-Za-z0-9]{43}$/);
  return { cookie, landing: res.headers.get("location") as string };
}

/** Hand-off and redemption for a member session: the preview host cookie. */
export async function previewCookieFor(h: Harness, sandboxId: string, session: string): Promise<string> {
  return (await redeem(h, await handOffUrl(h, sandboxId, "/", session))).cookie;
}

/** GETs a preview URL until the dev server answers 200 (it starts after the URL is set). */
export async function untilServed(h: Harness, url: string, cookie: string): Promise<Response> {
  const until = Date.now() + 20_000;
  for (;;) {
    const res = await hostRequest(h, url, { cookie });
    if (res.status === 200) return res;
    if (res.status !== 503 || Date.now() > until) {
      throw new Error(`preview answered ${res.status}: ${await res.text()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** After a stop, the preview host must stop answering: polls for up to 2 s for a refusal, then fails. */
export async function untilGone(h: Harness, url: string, cookie: string): Promise<number> {
  const until = Date.now() + 2_000;
  for (;;) {
    const res = await hostRequest(h, url, { cookie });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status !== 200) return res.status;
    if (Date.now() > until) throw new Error(`preview ${url} still answers 200 after the sandbox stopped`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
