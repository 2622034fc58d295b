// SSE followers for bench/engine.mjs, in their own process: opens N streams, prints READY once every stream
// is connected, then records each event's delivery latency (now − the wall-clock stamp the sender put in it).
//
//   node bench/lib/sse-followers.mjs '{"url":"…","n":50,"expect":200,"token":"…"}'
const opts = JSON.parse(process.argv[2]);
const wall = () => performance.timeOrigin + performance.now();
const latencies = [];
let connected = 0;
let errors = 0;

async function follow() {
  const headers = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  const res = await fetch(opts.url, { headers });
  if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}`);
  if (++connected === opts.n) process.stdout.write("READY\n");
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let seen = 0;
  while (seen < opts.expect) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trim())
        .join("\n");
      const m = /t=(\d+(?:\.\d+)?)/.exec(data);
      if (!m) continue;
      latencies.push(wall() - Number(m[1]));
      seen++;
    }
  }
  await reader.cancel().catch(() => {});
}

const timer = setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ latencies, errors, timedOut: true })}\n`);
  process.exit(0);
}, opts.timeoutMs ?? 60_000);
const results = await Promise.allSettled(Array.from({ length: opts.n }, follow));
errors = results.filter((r) => r.status === "rejected").length;
clearTimeout(timer);
process.stdout.write(`${JSON.stringify({ latencies, errors, timedOut: false })}\n`);
