// Answers on a socket Node has handed over for an upgrade, where there is no response object: a refusal in the
// usual JSON envelope, or the request given back to the HTTP server as if it had never asked to upgrade.
import { type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { ERROR_STATUS } from "@mogplex/contract";
import type { Failure } from "../../failure.js";
import { ApiError } from "../../http/errors.js";

/** How long a refused peer has to take its answer before the socket is destroyed regardless. */
const LINGER_MS = 2_000;

/** Writes a plain HTTP error (`{ ok:false, error:{ code, message } }`) and destroys the socket. */
export function refuse(socket: Duplex, err: Failure): void {
  if (socket.destroyed) return;
  const status = ERROR_STATUS[err.code];
  const body = JSON.stringify({ ok: false, error: { code: err.code, message: err.message } });
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    "cache-control": "no-store",
    connection: "close",
  };
  if (err.details.retryAfterSeconds !== undefined)
    headers["retry-after"] = String(err.details.retryAfterSeconds);
  if (err instanceof ApiError) for (const [k, v] of Object.entries(err.headers)) headers[k.toLowerCase()] = v;
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  const done = () => socket.destroy();
  setTimeout(done, LINGER_MS).unref();
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`, done);
}

/**
 * Node hands every request carrying `Connection: upgrade` to the 'upgrade' listener once there is one. Those this
 * server doesn't upgrade (any upgrade on the control plane, non-WebSocket ones such as h2c on a preview host) go
 * back to the HTTP server unchanged but for the Upgrade header — exactly what Node did with them before there was
 * a listener: the request is answered as plain HTTP/1.1 (body and keep-alive included).
 */
export function replayAsPlainHttp(server: Server, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    let value = raw[i + 1] as string;
    if (/^upgrade$/i.test(name)) continue;
    if (/^connection$/i.test(name)) {
      value = value
        .split(",")
        .map((token) => token.trim())
        .filter((token) => token !== "" && token.toLowerCase() !== "upgrade")
        .join(", ");
      if (value === "") continue;
    }
    // As parsed by Node: no CR or LF can be in either, so nothing can be smuggled into the replay.
    lines.push(`${name}: ${value}`);
  }
  socket.unshift(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), head]));
  server.emit("connection", socket);
}
