// A small round-robin HTTP front for several `mogplex serve` replicas (tests, bench and scripts/cluster.sh):
// requests go to the next replica in turn, skipping one that refuses the connection; MCP requests carrying an
// `Mcp-Session-Id` go to the replica that issued that session (gateway sessions live in one replica's memory).
// Streams (SSE) are piped through; when the replica behind a stream dies, the client's connection is cut
// too, so the client reconnects (through the front, to another replica). Loopback only, plain JavaScript so
// a shell script can run it: `node front.mjs [--port N] URL...`.
import { Agent, createServer, request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";

const MAX_BODY = 10 * 1024 * 1024;
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
]);

function assertLoopback(url) {
  const host = new URL(url).hostname;
  if (host !== "127.0.0.1" && host !== "localhost" && host !== "[::1]")
    throw new Error(`the front only forwards to loopback, not ${host}`);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error("body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * @param {{ port?: number, upstreams?: string[] }} [o]
 */
export async function startFront(o = {}) {
  let upstreams = [...(o.upstreams ?? [])];
  upstreams.forEach(assertLoopback);
  let next = 0;
  /** Mcp-Session-Id → the replica URL that issued it. */
  const sessions = new Map();
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const counts = new Map();

  /** One attempt at one replica; resolves with the upstream response, rejects if it never answered. */
  const attempt = (target, req, body, headers) =>
    new Promise((resolve, reject) => {
      const u = new URL(req.url ?? "/", target);
      const up = httpRequest(
        { host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers, agent },
        resolve,
      );
      up.on("error", reject);
      up.end(body);
    });

  const server = createServer(async (req, res) => {
    let body;
    try {
      body = await readBody(req);
    } catch {
      if (!res.headersSent) res.writeHead(413).end();
      return;
    }
    const headers = {};
    for (const [k, v] of Object.entries(req.headers))
      if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
    const peer = req.socket.remoteAddress ?? "";
    headers["x-forwarded-for"] = headers["x-forwarded-for"] ? `${headers["x-forwarded-for"]}, ${peer}` : peer;
    headers["content-length"] = String(body.length);
    const session = req.headers["mcp-session-id"];
    const pinned = typeof session === "string" ? sessions.get(session) : undefined;
    const order = pinned
      ? [pinned]
      : upstreams.map((_, i) => upstreams[(next + i) % upstreams.length]).filter(Boolean);
    if (!pinned) next = (next + 1) % Math.max(1, upstreams.length);
    let upstreamRes;
    let chosen;
    for (const target of order) {
      try {
        upstreamRes = await attempt(target, req, body, headers);
        chosen = target;
        break;
      } catch {
        // refused or reset before answering: the next replica gets the request
      }
    }
    if (!upstreamRes || !chosen) {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: false, error: { code: "BAD_GATEWAY", message: "no replica answered" } }));
      return;
    }
    counts.set(chosen, (counts.get(chosen) ?? 0) + 1);
    const issued = upstreamRes.headers["mcp-session-id"];
    if (typeof issued === "string") sessions.set(issued, chosen);
    if (req.method === "DELETE" && typeof session === "string") sessions.delete(session);
    const out = {};
    for (const [k, v] of Object.entries(upstreamRes.headers))
      if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
    out["x-front-upstream"] = chosen;
    res.writeHead(upstreamRes.statusCode ?? 502, out);
    res.flushHeaders();
    upstreamRes.on("data", (c) => res.write(c));
    upstreamRes.on("end", () => res.end());
    // The replica went away mid-response: cut the client off too, so it notices and reconnects.
    upstreamRes.on("aborted", () => res.destroy());
    upstreamRes.on("error", () => res.destroy());
    res.on("close", () => {
      if (!upstreamRes.complete) upstreamRes.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, "127.0.0.1", () => resolve(undefined));
  });
  const port = server.address().port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    /** Replaces the replica list (e.g. once they are listening); sessions pinned to a dropped one are forgotten. */
    setUpstreams(list) {
      list.forEach(assertLoopback);
      upstreams = [...list];
      for (const [id, target] of sessions) if (!upstreams.includes(target)) sessions.delete(id);
    },
    /** How many requests each replica answered so far. */
    served() {
      return upstreams.map((u) => counts.get(u) ?? 0);
    },
    async close() {
      server.closeAllConnections();
      agent.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const i = args.indexOf("--port");
  const port = i >= 0 ? Number(args.splice(i, 2)[1]) : 0;
  const front = await startFront({ port, upstreams: args });
  process.stdout.write(`front listening on ${front.url} → ${args.join(" ")}\n`);
  const bye = () => front.close().then(() => process.exit(0));
  process.on("SIGINT", bye);
  process.on("SIGTERM", bye);
}
