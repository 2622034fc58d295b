// One WebSocket on a preview host, carried to the sandbox's dev server through its port bridge: the handshake is
// replayed with the HTTP proxy's header allowlist plus the WebSocket headers (never Mogplex's cookies or any
// Authorization), then bytes flow both ways untouched until either end closes or the tunnel is closed for it.
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { failure } from "../../failure.js";
import type { LivePreview } from "../previews.js";
import { forwardedCookies, returnedSetCookies } from "./cookies.js";
import { ANSWER_TIMEOUT_MS, FORWARD, notAnswering } from "./proxy.js";

/** A tunnel with no bytes either way for this long is closed (the sandbox's own idle timer usually comes first). */
export const TUNNEL_IDLE_MS = 30 * 60_000;
/** Dev-server activity is reported at most this often for a busy socket. */
const ACTIVITY_EVERY_MS = 5_000;

const WS_REQUEST = [
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
];
const WS_ANSWER = ["sec-websocket-accept", "sec-websocket-protocol", "sec-websocket-extensions"];

export interface Tunnel {
  /** Destroys both sockets (idempotent). */
  close(): void;
  /** Resolves once both ends are gone. */
  readonly closed: Promise<void>;
}

/** The handshake for the dev server: what the browser asked, through the allowlist. */
function upstreamHeaders(h: IncomingHttpHeaders, port: number): Record<string, string> {
  const out: Record<string, string> = {
    host: `localhost:${port}`,
    connection: "Upgrade",
    upgrade: "websocket",
  };
  for (const name of [...FORWARD, ...WS_REQUEST]) {
    const v = h[name];
    if (typeof v === "string") out[name] = v;
  }
  const cookie = forwardedCookies(h.cookie);
  if (cookie) out.cookie = cookie;
  return out;
}

/** Asks the dev server to upgrade; resolves with its socket once it answered 101. */
function handshake(
  sock: Socket,
  req: IncomingMessage,
  path: string,
  port: number,
  client: Socket,
): Promise<{ res: IncomingMessage; upstream: Duplex; head: Buffer }> {
  return new Promise((resolve, reject) => {
    const up = httpRequest({
      createConnection: () => sock,
      method: "GET",
      path,
      headers: upstreamHeaders(req.headers, port),
    });
    const gone = () => up.destroy(new Error("the browser left"));
    client.once("close", gone);
    up.setTimeout(ANSWER_TIMEOUT_MS, () => up.destroy(new Error("timeout")));
    up.once("upgrade", (res, upstream, head) => {
      client.off("close", gone);
      resolve({ res, upstream, head });
    });
    up.once("response", (res) => {
      client.off("close", gone);
      res.resume();
      sock.destroy();
      reject(
        failure(
          "BAD_GATEWAY",
          `The preview's dev server did not accept the WebSocket (it answered ${res.statusCode}); check its path`,
        ),
      );
    });
    up.once("error", () => {
      client.off("close", gone);
      sock.destroy();
      reject(notAnswering());
    });
    up.end();
  });
}

/** The 101 the browser gets: the dev server's WebSocket answer headers and its own cookies only. */
function switching(res: IncomingMessage): string {
  const lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade"];
  for (const name of WS_ANSWER) {
    const v = res.headers[name];
    if (typeof v === "string") lines.push(`${name}: ${v}`);
  }
  for (const line of returnedSetCookies(res.headers["set-cookie"])) lines.push(`set-cookie: ${line}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/**
 * Connects the browser's socket (`client`, with `head`: bytes it sent after its request) to the dev server at
 * `path`. Rejects with a Failure the caller answers on the socket when the dev server can't be reached or refuses.
 */
export async function openTunnel(
  req: IncomingMessage,
  client: Socket,
  head: Buffer,
  path: string,
  live: LivePreview,
): Promise<Tunnel> {
  live.activity();
  const sock = await live.connect().catch(() => {
    throw notAnswering();
  });
  if (client.destroyed) {
    sock.destroy();
    throw notAnswering();
  }
  const { res, upstream, head: upHead } = await handshake(sock, req, path, live.port, client);
  let done = false;
  let resolveClosed = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const close = () => {
    if (done) return;
    done = true;
    client.destroy();
    upstream.destroy();
    resolveClosed();
  };
  for (const end of [client, upstream]) {
    end.once("close", close);
    end.once("end", close);
    end.on("error", close);
  }
  if (client.destroyed || upstream.destroyed) close();
  if (done) return { close, closed };
  let reported = Date.now();
  const active = () => {
    const now = Date.now();
    if (now - reported < ACTIVITY_EVERY_MS) return;
    reported = now;
    live.activity();
  };
  client.on("data", active);
  upstream.on("data", active);
  client.setTimeout(TUNNEL_IDLE_MS, close);
  client.write(switching(res));
  if (upHead.length > 0) client.write(upHead);
  if (head.length > 0) upstream.write(head);
  client.pipe(upstream);
  upstream.pipe(client);
  return { close, closed };
}
