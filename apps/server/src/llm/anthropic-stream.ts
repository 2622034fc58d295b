// The AI SDK's stream parts as OpenAI `chat.completion.chunk` SSE: a role chunk, content deltas, tool_calls
// deltas (index, id, name, then argument pieces), the finish reason, a usage chunk, `data: [DONE]`.
import type { FinishReason, LanguageModelUsage, TextStreamPart, Tool } from "ai";
import type { Done, TokenCounts } from "./relay.js";

type Part = TextStreamPart<Record<string, Tool>>;

/** The SDK's finish reason in OpenAI's words. */
export function finishReason(r: FinishReason): string {
  if (r === "tool-calls") return "tool_calls";
  if (r === "length") return "length";
  if (r === "content-filter") return "content_filter";
  return "stop";
}

export const countsOf = (u: LanguageModelUsage | undefined): TokenCounts => ({
  input: u?.inputTokens ?? 0,
  output: u?.outputTokens ?? 0,
});

/** The counts as an OpenAI answer's (or usage chunk's) `usage`. */
export const openAiUsage = (u: TokenCounts) => ({
  prompt_tokens: u.input,
  completion_tokens: u.output,
  total_tokens: u.input + u.output,
});

export interface ChunkHead {
  id: string;
  created: number;
  model: string;
}

/**
 * `first` are parts already read (up to the first model output); `rest` the remaining parts. `upstream` aborts the
 * provider's request when the client goes away; `done` runs once with the tokens and how the stream ended.
 */
export function openAiChunks(
  head: ChunkHead,
  first: Part[],
  rest: ReadableStreamDefaultReader<Part>,
  done: Done,
  upstream: AbortController,
): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const sse = (o: unknown) => enc.encode(`data: ${JSON.stringify(o)}\n\n`);
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    sse({ ...head, object: "chat.completion.chunk", choices, ...extra });
  const delta = (d: Record<string, unknown>, finish: string | null = null) =>
    chunk([{ index: 0, delta: d, finish_reason: finish }]);
  const toolIndex = new Map<string, number>();
  const argsSent = new Set<string>();
  let usage: TokenCounts = { input: 0, output: 0 };
  let finished = false;
  const finish = async (outcome: "ok" | "error" | "aborted") => {
    if (finished) return;
    finished = true;
    await done(usage, outcome);
  };
  const startTool = (id: string, name: string) => {
    const index = toolIndex.size;
    toolIndex.set(id, index);
    return delta({ tool_calls: [{ index, id, type: "function", function: { name, arguments: "" } }] });
  };
  const args = (id: string, piece: string) => {
    argsSent.add(id);
    return delta({ tool_calls: [{ index: toolIndex.get(id), function: { arguments: piece } }] });
  };

  /** What one part becomes on the wire; null for parts OpenAI's format has no place for. */
  const translate = (p: Part): Uint8Array[] | "error" | "aborted" => {
    switch (p.type) {
      case "text-delta":
        return p.text ? [delta({ content: p.text })] : [];
      case "tool-input-start":
        return [startTool(p.id, p.toolName)];
      case "tool-input-delta":
        return toolIndex.has(p.id) && p.delta ? [args(p.id, p.delta)] : [];
      case "tool-call": {
        // A call whose input was not streamed (or streamed empty): sent whole.
        const out: Uint8Array[] = [];
        if (!toolIndex.has(p.toolCallId)) out.push(startTool(p.toolCallId, p.toolName));
        if (!argsSent.has(p.toolCallId)) out.push(args(p.toolCallId, JSON.stringify(p.input ?? {})));
        return out;
      }
      case "finish":
        usage = countsOf(p.totalUsage);
        return [
          delta({}, finishReason(p.finishReason)),
          chunk([], {
            usage: openAiUsage(usage),
          }),
          enc.encode("data: [DONE]\n\n"),
        ];
      case "error":
        return "error";
      case "abort":
        return "aborted";
      default:
        return [];
    }
  };

  let pending: Part[] = [...first];
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      if (!started) {
        started = true;
        ctrl.enqueue(delta({ role: "assistant", content: "" }));
      }
      try {
        for (;;) {
          const p = pending.shift() ?? (await rest.read()).value;
          if (!p) {
            await finish(upstream.signal.aborted ? "aborted" : "ok");
            ctrl.close();
            return;
          }
          const out = translate(p);
          if (out === "aborted" || (out === "error" && upstream.signal.aborted)) {
            await finish("aborted");
            ctrl.close();
            return;
          }
          if (out === "error") {
            await finish("error");
            void rest.cancel().catch(() => {});
            ctrl.enqueue(sse({ error: { message: "The model provider's stream broke off; try again" } }));
            ctrl.close();
            return;
          }
          if (out.length === 0) continue;
          for (const bytes of out) ctrl.enqueue(bytes);
          return;
        }
      } catch {
        await finish(upstream.signal.aborted ? "aborted" : "error");
        ctrl.close();
      }
    },
    async cancel(reason) {
      pending = [];
      upstream.abort();
      await rest.cancel(reason).catch(() => {});
      await finish("aborted");
    },
  });
}
