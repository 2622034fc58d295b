// Diagnostic floor for the gateway bench: a bare node:http pass-through (no auth, no MCP parsing, keep-alive
// upstream sockets) in front of the same upstream. Prints "bare proxy listening on <port>". Loopback only.
//
// argv[2] = upstream URL (http://127.0.0.1:<port>/mcp)
import { Agent, createServer, request } from "node:http";

const upstream = new URL(process.argv[2]);
if (upstream.hostname !== "127.0.0.1") throw new Error("loopback upstreams only");
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

const server = createServer((req, res) => {
  const headers = { ...req.headers, host: upstream.host };
  const up = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      path: upstream.pathname,
      method: req.method,
      headers,
      agent,
    },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  up.on("error", () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(up);
  res.on("close", () => up.destroy());
});
server.listen(0, "127.0.0.1", () =>
  process.stdout.write(`bare proxy listening on ${server.address().port}\n`),
);
process.on("SIGTERM", () => process.exit(0));
