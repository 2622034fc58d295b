// Previews end to end: a repo's dev command runs in the run's sandbox and is reachable only on the sandbox's own
// preview host, through the control plane's hand-off, by members of the team, until the sandbox stops. The access
// rules in detail: engine/preview-access.test.ts; in Chromium: apps/web/e2e/preview.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API, dataOf, startRun } from "../runs/test-support/api.js";
import { uniq } from "../test-support/harness.js";
import { bareRemote, untilEvent, untilTerminal } from "./test-support/engine.js";
import {
  getRun,
  getSandbox,
  hostRequest,
  PORT,
  previewCookieFor,
  previewHost,
  runWithPreview,
  untilGone,
  untilServed,
} from "./test-support/previews.js";
import { type RunFixture, startRunFixture } from "./test-support/run-fixture.js";

describe("previews (API stop)", () => {
  let f: RunFixture;
  beforeAll(async () => {
    f = await startRunFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  it("serves the dev server on its own host, passes its own cookies only, and stops with the sandbox", async () => {
    const run = await runWithPreview(f, "PREVIEW-STOP");
    const sandboxId = run.sandboxId as string;
    expect(run.previewUrl).toBe(`/preview/${sandboxId}/`);
    expect((await getSandbox(f, sandboxId)).previewUrl).toBe(`/preview/${sandboxId}/`);

    const member = await f.h.signIn(f.a.user);
    const cookie = await previewCookieFor(f.h, sandboxId, member);
    const host = previewHost(sandboxId);
    // The control plane's session cookie and a bearer token sent along never reach the dev server; its own do.
    const res = await untilServed(f.h, `${host}/hello?x=1`, `${cookie}; ${member}; app=1`);
    expect(await res.text()).toBe("preview /hello?x=1 base=/ cookie=app=1 auth=none");
    // No CSP sandbox any more: the preview is its own origin. Only its own pages may frame it.
    expect(res.headers.get("content-security-policy")).toBe("frame-ancestors 'self'");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(res.headers.get("cache-control")).toBe("no-store");
    // Its cookies pass, except under Mogplex's reserved names.
    expect(res.headers.getSetCookie()).toEqual(["app=1; Path=/"]);
    const withToken = await hostRequest(f.h, `${host}/t`, {
      cookie,
      headers: { authorization: `Bearer ${f.a.token}` },
    });
    expect(await withToken.text()).toBe("preview /t base=/ cookie=none auth=none");
    // Its redirects to itself stay on the preview host.
    const redirect = await hostRequest(f.h, `${host}/go`, { cookie });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe("/there");
    expect(redirect.headers.getSetCookie()).toEqual(["planted=1; Path=/"]);
    // Control-plane paths on a preview host are the dev server's, never the API's.
    const api = await hostRequest(f.h, `${host}${API}/runs`, { cookie: `${cookie}; ${member}` });
    expect(await api.text()).toBe(`preview ${API}/runs base=/ cookie=none auth=none`);

    // Bodies go through (a declared length over the cap is refused before the dev server sees any).
    const posted = await hostRequest(f.h, `${host}/form`, {
      method: "POST",
      cookie,
      body: "a=1&b=2",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(await posted.text()).toBe("posted application/x-www-form-urlencoded a=1&b=2");
    const huge = await hostRequest(f.h, `${host}/form`, {
      method: "POST",
      cookie,
      body: "x",
      headers: { "content-length": String(11 * 1024 * 1024) },
    });
    expect(huge.status).toBe(413);

    const stopped = await f.h.json("POST", `${API}/sandboxes/${sandboxId}/stop`, { token: f.a.token });
    expect(stopped.status).toBe(200);
    expect([401, 404, 503]).toContain(await untilGone(f.h, `${host}/hello`, cookie));
    const ended = await untilTerminal(f.h, f.a.user.teamId, run.id);
    expect(ended.previewUrl).toBeNull();
    expect((await getSandbox(f, sandboxId)).previewUrl).toBeNull();
    // And the control plane hands no one to it any more.
    expect((await f.h.request("GET", `/preview/${sandboxId}/`, { cookie: member })).status).toBe(404);
  });

  it("a dev server that exits takes its preview down and says why; the run goes on", async () => {
    f.model.on("PREVIEW-CRASH", [{ delayMs: 120_000, text: "never answered in time" }]);
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
    const sandboxId = run.sandboxId as string;
    const cookie = await previewCookieFor(f.h, sandboxId, await f.h.signIn(f.a.user));
    await untilServed(f.h, `${previewHost(sandboxId)}/up`, cookie);
    // Nothing happens in the sandbox now (the model call is held): the idle timer ends it.
    const ended = await untilTerminal(f.h, f.a.user.teamId, run.id, 30_000);
    expect(ended.error).toMatch(/^sandbox_idle_timeout/);
    expect((await getSandbox(f, sandboxId)).stopReason).toBe("idle_timeout");
    expect([401, 404, 503]).toContain(await untilGone(f.h, `${previewHost(sandboxId)}/up`, cookie));
    expect(ended.previewUrl).toBeNull();
  });
});
