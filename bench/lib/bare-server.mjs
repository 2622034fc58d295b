// Baseline for api-throughput: a bare node:http server on loopback answering every GET with a JSON body
// shaped like Mogplex's run response (the real body, re-serialised per request). It only checks that a
// Bearer header is present — no auth lookup, no database, no middleware — so it is the ceiling that the
// same client on the same machine can reach. Prints "bare listening on <port>" once ready.
//
// argv[2] = JSON body to answer with
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";

const data = JSON.parse(process.argv[2] ?? '{"ok":true,"data":{}}');

const server = createServer((req, res) => {
  if (!req.headers.authorization?.startsWith("Bearer ")) {
    res.writeHead(401, { "Content-Type": "application/json" });
    res.end('{"ok":false,"error":{"code":"UNAUTHORIZED","message":"no token"}}');
    return;
  }
  const body = JSON.stringify(data);
  res.writeHead(200, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "X-Request-Id": `req_${randomUUID()}`,
  });
  res.end(body);
});
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  process.stdout.write(`bare listening on ${typeof addr === "object" && addr ? addr.port : 0}\n`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
