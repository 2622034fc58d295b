// WebSocket test support: a dev server with a hand-written RFC 6455 echo on /ws (in the sandbox, plain Node), and a
// raw client for node-level tests (Node 20 has no global WebSocket).
import { randomBytes } from "node:crypto";
import { type IncomingHttpHeaders, request } from "node:http";
import type { Socket } from "node:net";

/**
 * Dev-server source (plain Node, in the sandbox): `wsEcho(server)` answers WebSocket handshakes on /ws (404 on other
 * paths) with a hand-written RFC 6455 echo: first "hello <JSON of what the handshake carried>", then each text
 * message back as "echo:<text>". It plants a cookie under our reserved name next to its own.
 */
export const WS_ECHO = `
function wsEcho(server) {
  const crypto = require("crypto");
  server.on("upgrade", (q, sock) => {
    sock.on("error", () => {});
    if (q.url !== "/ws") return sock.end("HTTP/1.1 404 Not Found\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n");
    const accept = crypto.createHash("sha1").update(q.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    const proto = q.headers["sec-websocket-protocol"];
    sock.write("HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: " + accept +
      (proto ? "\\r\\nSec-WebSocket-Protocol: " + proto.split(",")[0].trim() : "") +
      "\\r\\nSet-Cookie: mogplex_preview=forged; Path=/\\r\\nSet-Cookie: ws=1; Path=/\\r\\n\\r\\n");
    const send = (text) => {
      const b = Buffer.from(text);
      const h = b.length < 126 ? Buffer.from([0x81, b.length]) : Buffer.from([0x81, 126, b.length >> 8, b.length & 255]);
      sock.write(Buffer.concat([h, b]));
    };
    const seen = { cookie: q.headers.cookie || null, authorization: q.headers.authorization || null, origin: q.headers.origin || null, host: q.headers.host };
    send("hello " + JSON.stringify(seen));
    let buf = Buffer.alloc(0);
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2) {
        const op = buf[0] & 15;
        let len = buf[1] & 127;
        let at = 2;
        if (len === 127) return sock.destroy();
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); at = 4; }
        const mask = buf[1] & 128 ? buf.subarray(at, at + 4) : null;
        if (mask) at += 4;
        if (buf.length < at + len) return;
        const data = Buffer.from(buf.subarray(at, at + len));
        if (mask) for (let i = 0; i < len; i++) data[i] ^= mask[i & 3];
        buf = buf.subarray(at + len);
        if (op === 8) return sock.end(Buffer.from([0x88, 0]));
        if (op === 1) send("echo:" + data.toString());
      }
    });
  });
}
`;

/** A dev server with WS_ECHO on /ws; any other path answers "plain <path> upgrade=<its Upgrade header>". */
export const WS_SERVER = `${WS_ECHO}
const server = require("http").createServer((q, s) => {
  s.end("plain " + q.url + " upgrade=" + (q.headers.upgrade || "none"));
});
wsEcho(server);
server.listen(Number(process.env.PORT), "127.0.0.1");
`;

export interface Upgrade {
  status: number;
  headers: IncomingHttpHeaders;
  /** The refusal's body (empty on a 101). */
  body: string;
  /** The open socket after a 101. */
  socket?: Socket;
  /** Resolves when the connection is closed (after a refusal: the server closed it). */
  closed: Promise<void>;
}

/** A WebSocket handshake to `port` on 127.0.0.1 with the given Host and headers. */
export function upgrade(
  port: number,
  host: string,
  path: string,
  headers: Record<string, string>,
  o: { localAddress?: string } = {},
): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port,
      path,
      agent: false,
      localAddress: o.localAddress,
      headers: {
        host,
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": randomBytes(16).toString("base64"),
        ...headers,
      },
    });
    req.once("socket", (sock) => {
      const closed = new Promise<void>((done) => sock.once("close", () => done()));
      req.once("upgrade", (res, socket, head) => {
        if (head.length > 0) socket.unshift(head);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: "", socket, closed });
      });
      req.once("response", (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
        });
        res.once("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, closed }));
      });
    });
    req.once("error", reject);
    req.end();
  });
}

/** Sends one masked text frame (as a browser must). */
export function sendText(socket: Socket, text: string): void {
  const data = Buffer.from(text);
  const mask = randomBytes(4);
  const head =
    data.length < 126
      ? Buffer.from([0x81, 0x80 | data.length])
      : Buffer.from([0x81, 0x80 | 126, data.length >> 8, data.length & 255]);
  const masked = Buffer.from(data.map((b, i) => b ^ (mask[i & 3] as number)));
  socket.write(Buffer.concat([head, mask, masked]));
}

/** The server's text messages, in order (unmasked frames, lengths up to 65535). */
export function messages(socket: Socket): () => Promise<string> {
  let buf = Buffer.alloc(0);
  const ready: string[] = [];
  let waiting: ((m: string) => void) | null = null;
  socket.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2) {
      let len = (buf[1] as number) & 127;
      let at = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        at = 4;
      }
      if (buf.length < at + len) return;
      const text = buf.subarray(at, at + len).toString("utf8");
      buf = buf.subarray(at + len);
      if (waiting) {
        const w = waiting;
        waiting = null;
        w(text);
      } else ready.push(text);
    }
  });
  return () => {
    const next = ready.shift();
    if (next !== undefined) return Promise.resolve(next);
    return new Promise((resolve) => {
      waiting = resolve;
    });
  };
}

/** Waits for `closed` (a socket's end) for up to `ms`; false when it is still open then. */
export function closedWithin(closed: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}
