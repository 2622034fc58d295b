// WebSockets on preview hosts, over a real node server: a member's page reaches the dev server's socket through
// the port bridge with the dev server's own cookies only; no cookie, another sandbox's cookie, a foreign Origin, a
// non-member and an address over its limit are refused with a plain HTTP error; open sockets close when the
// member leaves the team and within 2 s of the sandbox's stop; other upgrades are answered as plain HTTP.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API } from "../runs/test-support/api.js";
import {
  closedWithin,
  messages,
  sendText,
  type Upgrade,
  upgrade,
  WS_SERVER,
} from "../sandboxes/preview-host/test-support/ws.js";
import { type PreviewUpgrades, servePreviewUpgrades } from "../sandboxes/preview-host/ws.js";
import type { Services } from "../services.js";
import { previewCookieFor, previewHost, runWithPreview, untilServed } from "./test-support/previews.js";
import { type RunFixture, startRunFixture } from "./test-support/run-fixture.js";

const SYS = { actorType: "system" as const, actorId: null };
const EVENTUALLY_MS = 20_000;

function listen(s: Services, o: { recheckMs?: number } = {}) {
  const server = serve({ fetch: (req, env) => app(req, env), hostname: "127.0.0.1", port: 0 }) as Server;
  let app: (req: Request, env: unknown) => Response | Promise<Response> = () =>
    new Response(null, { status: 503 });
  const upgrades = servePreviewUpgrades(server, s, o);
  return {
    server,
    upgrades,
    setApp: (fn: typeof app) => {
      app = fn;
    },
  };
}

/** An open tunnel: the dev server's greeting arrives (and the socket is read from, so its end is seen). */
async function live(up: Upgrade): Promise<void> {
  expect(up.status, up.body).toBe(101);
  expect(await messages(up.socket as NonNullable<Upgrade["socket"]>)()).toMatch(/^hello /);
}

describe("preview WebSockets", () => {
  let f: RunFixture;
  let a: string;
  let b: string;
  let member: string;
  let cookieA: string;
  let cookieB: string;
  let server: Server;
  let upgrades: PreviewUpgrades;
  let port = 0;
  const host = (id: string) => `${id}.preview.localhost:${port}`;
  const origin = (id: string) => `http://${host(id)}`;
  const ws = (
    id: string,
    headers: Record<string, string>,
    o: { localAddress?: string; port?: number } = {},
  ) => upgrade(o.port ?? port, host(id), "/ws", headers, o);

  beforeAll(async () => {
    f = await startRunFixture();
    const l = listen(f.h.s, { recheckMs: 200 });
    l.setApp((req, env) => f.h.app.fetch(req, env));
    ({ server, upgrades } = l);
    await new Promise<void>((r) => (server.listening ? r() : server.once("listening", () => r())));
    port = (server.address() as AddressInfo).port;
    [a, b] = await Promise.all([
      runWithPreview(f, "WS-A", WS_SERVER).then((r) => r.sandboxId as string),
      runWithPreview(f, "WS-B").then((r) => r.sandboxId as string),
    ]);
    member = await f.h.signIn(f.a.user);
    [cookieA, cookieB] = await Promise.all([
      previewCookieFor(f.h, a, member),
      previewCookieFor(f.h, b, member),
    ]);
    await untilServed(f.h, `${previewHost(a)}/`, cookieA);
  }, 120_000);
  afterAll(async () => {
    upgrades?.close();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await f?.close();
  });

  it("a member's page reaches the dev server's socket: echoed both ways, its own cookies only", async () => {
    const up = await ws(a, {
      origin: origin(a),
      cookie: `${cookieA}; app=1; mogplex.session_token=stolen`,
      authorization: "Bearer mgp_stolen",
      "sec-websocket-protocol": "chat, other",
    });
    expect(up.status, up.body).toBe(101);
    expect(up.headers["sec-websocket-protocol"]).toBe("chat");
    expect(up.headers["set-cookie"]).toEqual(["ws=1; Path=/"]);
    const socket = up.socket as NonNullable<typeof up.socket>;
    const next = messages(socket);
    const hello = JSON.parse((await next()).replace(/^hello /, ""));
    expect(hello).toEqual({
      cookie: "app=1",
      authorization: null,
      origin: origin(a),
      host: "localhost:4321",
    });
    sendText(socket, "hi");
    expect(await next()).toBe("echo:hi");
    const long = "x".repeat(300);
    sendText(socket, long);
    expect(await next()).toBe(`echo:${long}`);
    socket.destroy();
  });

  it("refuses no cookie, another sandbox's cookie, a foreign or missing Origin and a broken handshake", async () => {
    const cases: [Record<string, string>, number, string][] = [
      [{ origin: origin(a) }, 401, "UNAUTHORIZED"],
      [{ origin: origin(a), cookie: cookieB }, 401, "UNAUTHORIZED"],
      [{ origin: origin(b), cookie: cookieA }, 403, "FORBIDDEN"],
      [{ origin: `http://127.0.0.1:${port}`, cookie: cookieA }, 403, "FORBIDDEN"],
      [{ cookie: cookieA }, 403, "FORBIDDEN"],
      [{ origin: origin(a), cookie: cookieA, "sec-websocket-key": "short" }, 400, "BAD_REQUEST"],
    ];
    for (const [headers, status, code] of cases) {
      const res = await ws(a, headers);
      expect([res.status, JSON.parse(res.body).error.code], JSON.stringify(headers)).toEqual([status, code]);
      expect(JSON.parse(res.body).ok).toBe(false);
      expect(await closedWithin(res.closed, EVENTUALLY_MS)).toBe(true);
    }
  });

  it("a member who leaves the team is refused, and their open socket is closed", async () => {
    const mate = await f.h.user({ team: f.a.user.team, role: "member" });
    const cookie = await previewCookieFor(f.h, a, await f.h.signIn(mate));
    const open = await ws(a, { origin: origin(a), cookie });
    await live(open);
    await f.h.s.teams.removeMember(
      { userId: mate.userId, teamId: mate.teamId, role: "member" },
      mate.userId,
      SYS,
    );
    expect(await closedWithin(open.closed, EVENTUALLY_MS)).toBe(true);
    const again = await ws(a, { origin: origin(a), cookie });
    expect(again.status).toBe(401);
  });

  it("counts upgrades against the preview hosts' per-address limit", async () => {
    const tight = { ...f.h.s, rules: { ...f.h.s.rules, ip: { limit: 1, windowMs: 60_000 } } };
    const l = listen(tight);
    l.setApp((req, env) => f.h.app.fetch(req, env));
    await new Promise<void>((r) => (l.server.listening ? r() : l.server.once("listening", () => r())));
    const other = { port: (l.server.address() as AddressInfo).port, localAddress: "127.0.0.3" };
    const headers = { origin: `http://${a}.preview.localhost:${other.port}`, cookie: cookieA };
    const first = await upgrade(other.port, `${a}.preview.localhost:${other.port}`, "/ws", headers, other);
    expect(first.status, first.body).toBe(101);
    first.socket?.destroy();
    const second = await upgrade(other.port, `${a}.preview.localhost:${other.port}`, "/ws", headers, other);
    expect(second.status).toBe(429);
    expect(second.headers["retry-after"]).toMatch(/^\d+$/);
    l.upgrades.close();
    await new Promise<void>((r) => l.server.close(() => r()));
  });

  it("other upgrades are answered as plain HTTP: the control plane's, and non-WebSocket ones on a preview", async () => {
    const plain = await fetch(`http://127.0.0.1:${port}/healthz`);
    const control = await upgrade(port, `127.0.0.1:${port}`, "/healthz", {});
    expect([control.status, control.body]).toEqual([plain.status, await plain.text()]);
    const h2c = await upgrade(port, host(a), "/page", { cookie: cookieA, upgrade: "h2c" });
    expect([h2c.status, h2c.body]).toEqual([200, "plain /page upgrade=none"]);
  });

  it("closes an open socket within 2 s of the sandbox's stop, and takes no new one", async () => {
    const up = await ws(a, { origin: origin(a), cookie: cookieA });
    await live(up);
    const stopped = await f.h.json("POST", `${API}/sandboxes/${a}/stop`, { token: f.a.token });
    expect(stopped.status).toBe(200);
    expect(await closedWithin(up.closed, 2_000)).toBe(true);
    expect([401, 404]).toContain((await ws(a, { origin: origin(a), cookie: cookieA })).status);
  });
});
