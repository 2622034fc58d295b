// Load generator, run as its own process: N keep-alive connections over raw sockets (no HTTP client
// library in the way), one request in flight per connection, a warm-up, then a fixed request count.
// Prints one JSON report on stdout. Bounded by count and by a deadline; only ever connects to loopback.
//
// argv[2] = JSON {port, path, headers, connections, warmup, requests, deadlineMs, warmupDeadlineMs?, serverPid?}
// The warm-up ends after `warmup` requests or `warmupDeadlineMs`, whichever comes first; the measured
// phase then runs until `requests` are done or `deadlineMs` has passed (reported as timedOut).
import { readFileSync } from "node:fs";
import { connect } from "node:net";

const o = JSON.parse(process.argv[2] ?? "{}");
const HOST = "127.0.0.1";
const connections = o.connections ?? 32;
const warmup = o.warmup ?? 2000;
const requests = o.requests ?? 20000;
const deadlineMs = o.deadlineMs ?? 60_000;
const warmupDeadlineMs = o.warmupDeadlineMs ?? Math.min(10_000, deadlineMs / 2);

const head = [`GET ${o.path} HTTP/1.1`, `Host: ${HOST}:${o.port}`, "Connection: keep-alive"];
for (const [k, v] of Object.entries(o.headers ?? {})) head.push(`${k}: ${v}`);
const REQUEST = Buffer.from(`${head.join("\r\n")}\r\n\r\n`);
const HEADER_END = Buffer.from("\r\n\r\n");
const CHUNK_END = Buffer.from("\r\n0\r\n\r\n");

/** CPU seconds (user + system) the server process has used so far, from /proc; null elsewhere. */
function serverCpu() {
  if (!o.serverPid) return null;
  try {
    const stat = readFileSync(`/proc/${o.serverPid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

let phase = "warmup";
let budget = warmup; // requests still to issue in this phase
let outstanding = 0;
let latencies = new Float64Array(requests);
let done = 0;
const statuses = {};
let bodyBytes = 0;
let errors = 0;
let phaseStart = 0;
let cpuStart = null;
let onPhaseDone = () => {};

function parseResponse(buf) {
  const end = buf.indexOf(HEADER_END);
  if (end < 0) return null;
  const headerText = buf.subarray(0, end).toString("latin1");
  const status = Number(headerText.slice(9, 12));
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(headerText);
  const bodyStart = end + 4;
  if (cl) {
    const total = bodyStart + Number(cl[1]);
    if (buf.length < total) return null;
    return { status, length: total, body: Number(cl[1]) };
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(headerText)) {
    const term = buf.indexOf(CHUNK_END, bodyStart - 2);
    if (term < 0) return null;
    return { status, length: term + CHUNK_END.length, body: term - bodyStart };
  }
  return { status, length: bodyStart, body: 0 };
}

function openConnection() {
  const sock = connect({ host: HOST, port: o.port, noDelay: true });
  let buf = Buffer.alloc(0);
  let sentAt = 0;
  let busy = false;
  const send = () => {
    if (budget <= 0) return;
    budget--;
    outstanding++;
    busy = true;
    sentAt = performance.now();
    sock.write(REQUEST);
  };
  sock.on("connect", () => {
    if (!busy) send();
  });
  sock.on("data", (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    const r = parseResponse(buf);
    if (!r) return;
    buf = buf.subarray(r.length);
    busy = false;
    outstanding--;
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (phase === "measure") {
      latencies[done++] = performance.now() - sentAt;
      bodyBytes = r.body;
    }
    if (budget > 0) send();
    else if (outstanding === 0) onPhaseDone();
  });
  sock.on("error", () => {
    errors++;
  });
  sock.on("close", () => {
    if (busy) {
      outstanding--;
      busy = false;
      if (budget <= 0 && outstanding === 0) onPhaseDone();
    }
  });
  return { sock, send, idle: () => !busy };
}

const conns = [];
function startMeasuring() {
  phase = "measure";
  for (const k of Object.keys(statuses)) delete statuses[k];
  budget = requests;
  done = 0;
  latencies = new Float64Array(requests);
  cpuStart = serverCpu();
  phaseStart = performance.now();
  for (const c of conns) if (c.idle()) c.send();
}
const finished = new Promise((resolve) => {
  let deadline;
  const measure = () => {
    clearTimeout(warmupTimer);
    deadline = setTimeout(() => resolve(true), deadlineMs);
    startMeasuring();
  };
  // Warm-up cut short: stop issuing; the measured phase starts once the requests in flight are back.
  const warmupTimer = setTimeout(() => {
    budget = 0;
    if (outstanding === 0) measure();
  }, warmupDeadlineMs);
  onPhaseDone = () => {
    if (phase === "warmup") return measure();
    clearTimeout(deadline);
    resolve(false);
  };
});
for (let i = 0; i < connections; i++) conns.push(openConnection());
if (warmup === 0) onPhaseDone();

const timedOut = await finished;
const elapsed = (performance.now() - phaseStart) / 1000;
const cpuEnd = serverCpu();
for (const c of conns) c.sock.destroy();

const sorted = latencies.subarray(0, done).sort();
const pct = (p) => (done ? sorted[Math.min(done - 1, Math.max(0, Math.ceil((p / 100) * done) - 1))] : null);
const ok = statuses[200] ?? 0;
const serverCpuSec = cpuStart !== null && cpuEnd !== null ? cpuEnd - cpuStart : null;
process.stdout.write(
  JSON.stringify({
    phase,
    timedOut,
    connections,
    warmup,
    requested: requests,
    completed: done,
    ok,
    statuses,
    socketErrors: errors,
    seconds: elapsed,
    rps: phase === "measure" && elapsed > 0 ? done / elapsed : 0,
    latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: done ? sorted[done - 1] : null },
    bodyBytes,
    serverCpuSec,
    serverCpuUsPerReq: serverCpuSec !== null && done ? (serverCpuSec * 1e6) / done : null,
  }),
);
process.exit(0);
