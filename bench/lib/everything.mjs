// The MCP upstream for gateway benches: server-everything over Streamable HTTP, unmodified, bound to 127.0.0.1
// (loopback-listen.mjs), with an environment holding no secrets.
import { createRequire } from "node:module";
import { connect, createServer } from "node:net";
import { dirname, join } from "node:path";
import { BENCH_DIR, spawnReady } from "./common.mjs";

const require = createRequire(import.meta.url);
const pkg = require.resolve("@modelcontextprotocol/server-everything/package.json");
const EVERYTHING = join(dirname(pkg), require(pkg).bin["mcp-server-everything"]);

function freePort() {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect({ host: "127.0.0.1", port }, () => {
        s.end();
        resolve();
      });
      s.on("error", () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`nothing listening on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts the upstream; its stop() is also pushed onto `cleanups`. */
export async function startUpstream(cleanups) {
  const port = await freePort();
  const p = await spawnReady(EVERYTHING, ["streamableHttp"], {
    env: { PATH: process.env.PATH, PORT: String(port) },
    nodeArgs: ["--import", join(BENCH_DIR, "lib", "loopback-listen.mjs")],
    ready: /Starting Streamable HTTP server/,
  });
  cleanups.push(p.stop);
  await waitForPort(port);
  return { url: `http://127.0.0.1:${port}/mcp`, pid: p.child.pid, stop: p.stop };
}
