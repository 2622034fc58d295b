// Run-event sanitiser throughput, current vs the frozen pre-secretlint sanitiser (bench/lib/sanitize-baseline/),
// in the same process, rounds interleaved, best round of each counts. Per event it does what the event store
// does: sanitizeEventText(message) + sanitizeEventPayload(payload), with one known secret.
import { randomBytes } from "node:crypto";

const SECRET = `dtok-${randomBytes(8).toString("hex")}`;
const LOG = [
  "  ✓ src/engine/run.test.ts (12 tests) 3456ms",
  "npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
  "src/app.ts(14,7): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'.",
  "Compiling apps/server/src/sanitize/secrets.ts -> dist/sanitize/secrets.js",
  "diff --git a/src/config.ts b/src/config.ts",
  "+  const session = await openSession({ retries: 3, timeoutMs: 30_000 });",
  "GET https://registry.example.org/-/package/react/dist-tags 200 OK (42 ms)",
  "added 312 packages, and audited 313 packages in 4s; found 0 vulnerabilities",
];
// Two credentials a careless command might print; only the "with credentials" mix has them.
const CREDENTIALS = [
  `aws_secret_access_key = ${randomBytes(30).toString("base64")}`,
  `export API_TOKEN=${randomBytes(20).toString("hex")}`,
];

function output(kb, withCredentials, i) {
  const lines = [];
  for (let n = 0; lines.join("\n").length < kb * 1024; n++) lines.push(LOG[(n + i) % LOG.length]);
  if (withCredentials) lines.splice(5, 0, ...CREDENTIALS);
  return `exit code: 0\n--- stdout ---\n${lines.join("\n")}\n--- stderr ---\n`;
}

/** tool_started, tool_finished (a few KB of output), model_call: the events a run emits per step. */
export function eventMix(withCredentials) {
  const out = [];
  for (let i = 0; i < 12; i++) {
    out.push(
      {
        message: "run_command started",
        payload: {
          arguments: { command: `npm test -- --reporter=dot src/engine/${i}.test.ts && git status --short` },
        },
      },
      {
        message: "run_command finished (exit 0)",
        payload: {
          output: output(3, withCredentials, i),
          exitCode: 0,
          durationMs: 1234 + i,
          timedOut: false,
        },
      },
      {
        message: `openai/gpt-5: ${1200 + i} in / 300 out in 2300 ms`,
        payload: {
          model: "openai/gpt-5",
          inputTokens: 1200 + i,
          outputTokens: 300,
          latencyMs: 2300,
          finishReason: "tool-calls",
          priced: true,
        },
      },
    );
  }
  return out;
}

// CPU time of this process (user + system), not wall time: on a shared machine a chunk can wait for a core,
// and that wait says nothing about the sanitiser.
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function chunk(sanitiser, events, from, n) {
  const opts = { knownSecrets: [SECRET] };
  const started = cpuMs();
  for (let i = from; i < from + n; i++) {
    const e = events[i % events.length];
    sanitiser.sanitizeEventText(e.message, opts);
    sanitiser.sanitizeEventPayload(e.payload, opts);
  }
  return cpuMs() - started;
}

// The machine is shared and its load swings within seconds, so the two sanitisers alternate in short chunks
// (same events, same order) and each ratio compares chunks measured side by side; the median chunk ratio is
// the figure, with the summed rates beside it.
function compare(before, after, events, { chunks, size }) {
  let beforeMs = 0;
  let afterMs = 0;
  const ratios = [];
  for (let c = 0; c < chunks; c++) {
    const from = (c * size) % events.length;
    let a;
    let b;
    // Alternate which goes first, so neither always runs on a cache the other warmed.
    if (c % 2 === 0) {
      a = chunk(before, events, from, size);
      b = chunk(after, events, from, size);
    } else {
      b = chunk(after, events, from, size);
      a = chunk(before, events, from, size);
    }
    beforeMs += a;
    afterMs += b;
    ratios.push(b / a);
  }
  ratios.sort((x, y) => x - y);
  return {
    beforePerSec: (chunks * size * 1000) / beforeMs,
    afterPerSec: (chunks * size * 1000) / afterMs,
    costRatio: ratios[Math.floor(ratios.length / 2)],
    costRatioP90: ratios[Math.floor(ratios.length * 0.9)],
  };
}

export async function sanitiserThroughput({ chunks = 80, size = 150 } = {}) {
  const current = await import("../../apps/server/dist/sanitize/index.js");
  const baseline = await import("./sanitize-baseline/event.mjs");
  const result = {};
  for (const [mix, withCredentials] of [
    ["realistic", false],
    ["with credentials", true],
  ]) {
    const events = eventMix(withCredentials);
    // Warm both up so neither pays for compilation inside a measured chunk.
    chunk(baseline, events, 0, 600);
    chunk(current, events, 0, 600);
    const m = compare(baseline, current, events, { chunks, size });
    const leaked = (s) =>
      JSON.stringify(s.sanitizeEventPayload(events[1].payload)).includes(CREDENTIALS[0].slice(-20));
    result[mix] = {
      ...m,
      credentialHiddenBefore: withCredentials ? !leaked(baseline) : null,
      credentialHiddenAfter: withCredentials ? !leaked(current) : null,
    };
  }
  return result;
}
