// Passes the provider's answer through: SSE bytes untouched (lines are only scanned for a usage chunk), or the
// JSON answer as is; `done` runs once with the token counts and how the request ended.
import { scrubIfHeld } from "./upstream.js";

export interface TokenCounts {
  input: number;
  output: number;
}
export type Outcome = "ok" | "error" | "aborted";
export type Done = (usage: TokenCounts, outcome: Outcome) => Promise<void>;

function usageOf(value: unknown): TokenCounts | null {
  const u = (value as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null })?.usage;
  if (!u) return null;
  const n = (x: unknown) => (typeof x === "number" && Number.isFinite(x) && x >= 0 ? Math.floor(x) : 0);
  return { input: n(u.prompt_tokens), output: n(u.completion_tokens) };
}

/** The upstream SSE body relayed chunk by chunk; `upstream` aborts the provider's request when the client goes away. */
export function relayStream(
  body: ReadableStream<Uint8Array>,
  done: Done,
  upstream: AbortController,
): ReadableStream {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let tail = "";
  let usage: TokenCounts = { input: 0, output: 0 };
  let finished = false;
  const finish = async (outcome: Outcome) => {
    if (finished) return;
    finished = true;
    await done(usage, outcome);
  };
  const scan = (bytes: Uint8Array) => {
    const text = tail + decoder.decode(bytes, { stream: true });
    const lines = text.split("\n");
    tail = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("data:") || !line.includes('"usage"')) continue;
      try {
        usage = usageOf(JSON.parse(line.slice(5))) ?? usage;
      } catch {
        // Not JSON: relayed as is, not counted.
      }
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        const { done: ended, value } = await reader.read();
        if (ended) {
          await finish("ok");
          ctrl.close();
          return;
        }
        scan(value);
        ctrl.enqueue(value);
      } catch {
        if (finished) return;
        if (upstream.signal.aborted) {
          await finish("aborted");
          ctrl.close();
          return;
        }
        await finish("error");
        const message = "The model provider's stream broke off; try again";
        ctrl.enqueue(new TextEncoder().encode(`data: ${JSON.stringify({ error: { message } })}\n\n`));
        ctrl.close();
      }
    },
    async cancel(reason) {
      upstream.abort();
      await reader.cancel(reason).catch(() => {});
      await finish("aborted");
    },
  });
}

/** A non-streamed answer: read whole, counted, returned as the provider wrote it (keys scrubbed, to be safe). */
export async function relayJson(res: Response, secrets: readonly string[], done: Done): Promise<string> {
  const text = await res.text();
  let usage: TokenCounts = { input: 0, output: 0 };
  try {
    usage = usageOf(JSON.parse(text)) ?? usage;
  } catch {
    // Counted as zero.
  }
  await done(usage, "ok");
  return scrubIfHeld(text, secrets);
}
