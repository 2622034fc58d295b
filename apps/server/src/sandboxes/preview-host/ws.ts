// WebSocket upgrades on preview hosts (a dev server's hot reload, an app's own sockets). The node server's
// 'upgrade' event comes here; a preview host's WebSocket is admitted exactly as its HTTP requests are (per-address
// limit, the host's cookie for this sandbox, sandbox running, still a member, minting session alive) and, against
// cross-site WebSocket hijacking, only from the preview's own origin. Then it is tunnelled to the dev server
// (tunnel.ts) and closed with the preview, on sign-out or removal from the team, and on timeouts. Every other
// upgrade is answered as plain HTTP, as before (raw-http.ts).
import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { previewOrigin } from "../../config/preview.js";
import { Failure, failure } from "../../failure.js";
import { ApiError, unavailableError } from "../../http/errors.js";
import { addressOf } from "../../http/steps/client-ip.js";
import { keyLimit } from "../../http/steps/limits.js";
import type { Services } from "../../services.js";
import type { LivePreview } from "../previews.js";
import { admitPreview, previewIdOfUrl } from "./app.js";
import { previewTokens } from "./cookies.js";
import { PreviewGrants } from "./grants.js";
import { HANDOFF_PATH } from "./paths.js";
import { refuse, replayAsPlainHttp } from "./raw-http.js";
import { openTunnel, type Tunnel } from "./tunnel.js";

/** How often an open tunnel re-checks its cookie (sign-out, removal from the team, sandbox stopped elsewhere). */
export const RECHECK_MS = 15_000;
/** Open WebSockets one preview may have at once. */
export const MAX_TUNNELS_PER_PREVIEW = 64;
const KEY = /^[A-Za-z0-9+/]{22}==$/;

export interface PreviewUpgrades {
  /** Stops taking upgrades and closes every open tunnel (server shutdown). */
  close(): void;
}

/** The request's URL as the HTTP adapter builds it (absolute-form target, else the Host header); null if invalid. */
function requestUrl(req: IncomingMessage): URL | null {
  const target = req.url ?? "";
  try {
    if (target[0] !== "/" && /^https?:\/\//.test(target)) return new URL(target);
    const scheme = (req.socket as TLSSocket).encrypted ? "https" : "http";
    return new URL(`${scheme}://${req.headers.host ?? ""}${target}`);
  } catch {
    return null;
  }
}

const isWebSocket = (req: IncomingMessage) =>
  (req.headers.upgrade ?? "").split(",").some((p) => p.trim().toLowerCase() === "websocket");

/** The handshake a browser sends: anything else is refused before any lookup. */
function checkHandshake(req: IncomingMessage, url: URL, expectedOrigin: string | null): void {
  if (req.method !== "GET") throw failure("BAD_REQUEST", "A WebSocket upgrade is a GET request");
  if (req.headers["sec-websocket-version"] !== "13" || !KEY.test(req.headers["sec-websocket-key"] ?? "")) {
    throw failure("BAD_REQUEST", "Not a WebSocket handshake (RFC 6455, version 13)");
  }
  if (url.pathname === HANDOFF_PATH) throw failure("NOT_FOUND", "Nothing to connect to here");
  if (!expectedOrigin || req.headers.origin?.toLowerCase() !== expectedOrigin) {
    throw new ApiError("FORBIDDEN", "WebSockets to a preview open from the preview's own pages only");
  }
}

export function servePreviewUpgrades(
  server: Server,
  s: Services,
  o: { recheckMs?: number } = {},
): PreviewUpgrades {
  const t = s.config.previewTemplate;
  const grants = new PreviewGrants(s.db.db, s.clock);
  const open = new Map<LivePreview, Set<Tunnel>>();
  let stopped = false;

  const admit = async (req: IncomingMessage, socket: Socket, head: Buffer, url: URL, sandboxId: string) => {
    const ip = addressOf(
      req.headers["x-forwarded-for"] as string | undefined,
      s.config.trustProxy,
      () => req.socket.remoteAddress,
    );
    await keyLimit(s.limiter, `ip:preview:${ip}`, s.rules.ip, s.clock);
    checkHandshake(req, url, previewOrigin(sandboxId, t, url));
    const tokens = previewTokens(req.headers.cookie, t);
    const { grant, live } = await admitPreview(s, grants, tokens, sandboxId);
    const mine = open.get(live) ?? new Set<Tunnel>();
    if (mine.size >= MAX_TUNNELS_PER_PREVIEW) {
      const message = `This preview has ${MAX_TUNNELS_PER_PREVIEW} WebSockets open; close some`;
      throw failure("RATE_LIMITED", message, { retryAfterSeconds: 5 });
    }
    // The slot is taken while the dev server answers (so concurrent upgrades can't pass the cap together), and
    // closing it then (the preview left, shutdown) closes the tunnel as soon as it exists.
    let cancelled = false;
    const slot: Tunnel = {
      close: () => {
        cancelled = true;
      },
      closed: Promise.resolve(),
    };
    mine.add(slot);
    open.set(live, mine);
    /** Out of this preview's set; an emptied set (still this preview's) goes too. */
    const drop = (one: Tunnel) => {
      mine.delete(one);
      if (mine.size === 0 && open.get(live) === mine) open.delete(live);
    };
    const tunnel = await openTunnel(req, socket, head, `${url.pathname}${url.search}`, live).finally(() =>
      drop(slot),
    );
    if (cancelled || stopped || s.sandboxes.previews.get(sandboxId) !== live) return tunnel.close();
    mine.add(tunnel);
    open.set(live, mine);
    const recheck = setInterval(() => {
      grants.fromCookies(tokens, sandboxId).then(
        (still) => {
          if (!still || s.sandboxes.previews.get(sandboxId) !== live) tunnel.close();
        },
        // The database away for a moment ends nothing; the next check decides.
        () => undefined,
      );
    }, o.recheckMs ?? RECHECK_MS);
    const ends = setTimeout(tunnel.close, Math.min(grant.expiresAt - s.clock.now(), 2 ** 31 - 1));
    void tunnel.closed.then(() => {
      clearInterval(recheck);
      clearTimeout(ends);
      drop(tunnel);
    });
  };

  const fail = (socket: Duplex, err: unknown) => {
    if (err instanceof Failure) return refuse(socket, err);
    const unavailable = unavailableError(err);
    if (unavailable) return refuse(socket, unavailable);
    const e = err as Error;
    s.logger.error({ err: { name: e?.name, message: e?.message } }, "preview WebSocket error");
    refuse(socket, failure("INTERNAL_ERROR", "Internal error"));
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = requestUrl(req);
    const sandboxId = url ? previewIdOfUrl(url.href, t) : null;
    if (!url || sandboxId === null || !isWebSocket(req)) return replayAsPlainHttp(server, req, socket, head);
    socket.on("error", () => socket.destroy());
    if (stopped)
      return refuse(socket, failure("SERVICE_UNAVAILABLE", "The server is stopping; reconnect shortly"));
    admit(req, socket as Socket, head, url, sandboxId).catch((err) => fail(socket, err));
  };

  server.on("upgrade", onUpgrade);
  // A preview leaving (dev server exited, sandbox stopped by the API or a timer) takes its tunnels along.
  const unsubscribe = s.sandboxes.previews.onGone((gone) => {
    for (const tunnel of open.get(gone) ?? []) tunnel.close();
  });
  return {
    close() {
      stopped = true;
      server.off("upgrade", onUpgrade);
      unsubscribe();
      for (const tunnels of open.values()) for (const tunnel of tunnels) tunnel.close();
    },
  };
}
