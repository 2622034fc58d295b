// MCP load generator, run as its own process: C SDK Clients over Streamable HTTP, each calling `tools/call`
// one at a time, a warm-up, then a fixed number of calls. Prints one JSON report on stdout. Loopback only.
//
// argv[2] = JSON {url, headers, tool, clients, warmup, calls, deadlineMs, serverPids?}
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const o = JSON.parse(process.argv[2] ?? "{}");
const host = new URL(o.url).hostname;
if (host !== "127.0.0.1" && host !== "localhost") throw new Error(`refusing non-loopback ${host}`);
const clients = o.clients ?? 1;
const deadlineMs = o.deadlineMs ?? 60_000;

/** CPU seconds used so far by the given processes (from /proc), null elsewhere. */
function cpu(pids) {
  try {
    let total = 0;
    for (const pid of pids ?? []) {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += (Number(f[11]) + Number(f[12])) / 100;
    }
    return total;
  } catch {
    return null;
  }
}

const conns = [];
for (let i = 0; i < clients; i++) {
  const c = new Client({ name: "bench", version: "1" });
  const t = new StreamableHTTPClientTransport(new URL(o.url), { requestInit: { headers: o.headers ?? {} } });
  await c.connect(t);
  // The SDK adds one abort listener per request on a shared signal; a long run would warn for nothing.
  const shared = t._abortController?.signal;
  if (shared) setMaxListeners(0, shared);
  conns.push(c);
}
const args = { message: "bench" };
const callOnce = (c) => c.callTool({ name: o.tool, arguments: args });

async function phase(total, record) {
  let budget = total;
  const latencies = [];
  let errors = 0;
  const stopAt = performance.now() + deadlineMs;
  await Promise.all(
    conns.map(async (c) => {
      while (budget > 0 && performance.now() < stopAt) {
        budget--;
        const t = performance.now();
        try {
          const r = await callOnce(c);
          if (r.isError) errors++;
        } catch {
          errors++;
        }
        if (record) latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, errors, timedOut: budget > 0 };
}

await phase(o.warmup ?? 500, false);
const cpuStart = cpu(o.serverPids);
const hopStart = cpu(o.hopPids);
const start = performance.now();
const r = await phase(o.calls ?? 5000, true);
const seconds = (performance.now() - start) / 1000;
const cpuEnd = cpu(o.serverPids);
const hopEnd = cpu(o.hopPids);
for (const c of conns) await c.close().catch(() => {});
const sorted = r.latencies.sort((a, b) => a - b);
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
process.stdout.write(
  JSON.stringify({
    calls: sorted.length,
    errors: r.errors,
    timedOut: r.timedOut,
    rps: sorted.length / seconds,
    latencyMs: {
      p50: pct(50),
      p90: pct(90),
      p99: pct(99),
      mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    },
    serverCpuUsPerCall:
      cpuStart !== null && cpuEnd !== null ? ((cpuEnd - cpuStart) * 1e6) / sorted.length : null,
    // The hop alone (gateway or bare proxy, without the upstream behind it).
    hopCpuUsPerCall:
      o.hopPids && hopStart !== null && hopEnd !== null ? ((hopEnd - hopStart) * 1e6) / sorted.length : null,
  }),
);
process.exit(0);
