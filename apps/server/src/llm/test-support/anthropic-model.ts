// A scripted stand-in for Anthropic's Messages API on 127.0.0.1 (`POST /v1/messages`): JSON, or with `stream: true`
// the SSE events message_start, content_block_start/delta/stop (text_delta; tool_use with input_json_delta in
// pieces), message_delta (stop_reason, output tokens), message_stop. Replies are picked by a marker in the first
// user message, by how many assistant turns the conversation already has.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface AnthropicReply {
  text?: string;
  toolCalls?: Array<{ name: string; args: Record<string, unknown> }>;
  usage?: { input: number; output: number };
  /** Answer with this HTTP status and an Anthropic error body instead. */
  status?: number;
  errorMessage?: string;
  /** Streamed: an `error` event (overloaded) after the first text delta, then the end. */
  breakOff?: boolean;
  /** Hold the answer back (to test a client going away). */
  delayMs?: number;
}

export interface AnthropicRequest {
  // biome-ignore lint/suspicious/noExplicitAny: tests read the request body freely
  body: any;
  apiKey: string | undefined;
}

export interface AnthropicModel {
  baseURL: string;
  requests: AnthropicRequest[];
  on(marker: string, replies: AnthropicReply[]): void;
  close(): Promise<void>;
}

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });

export async function startAnthropicModel(): Promise<AnthropicModel> {
  const scripts = new Map<string, AnthropicReply[]>();
  const requests: AnthropicRequest[] = [];
  let ids = 0;
  const server: Server = createServer(async (req, res) => {
    if (req.method !== "POST" || !req.url?.endsWith("/messages")) {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(await read(req));
    requests.push({ body, apiKey: req.headers["x-api-key"] as string | undefined });
    const firstUser = JSON.stringify(body.messages.find((m: { role: string }) => m.role === "user"));
    const script = [...scripts.entries()].find(([marker]) => firstUser.includes(marker))?.[1];
    const step = body.messages.filter((m: { role: string }) => m.role === "assistant").length;
    const reply = script?.[step] ?? { text: "no script for this prompt" };
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed) return;
    if (reply.status) {
      const error = { type: "api_error", message: reply.errorMessage ?? `scripted failure ${reply.status}` };
      res.writeHead(reply.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ type: "error", error }));
      return;
    }
    const content = [
      ...(reply.text ? [{ type: "text", text: reply.text }] : []),
      ...(reply.toolCalls ?? []).map((t) => ({
        type: "tool_use",
        id: `toolu_${++ids}`,
        name: t.name,
        input: t.args,
      })),
    ];
    const usage = reply.usage ?? { input: 50, output: 10 };
    const stop = reply.toolCalls?.length ? "tool_use" : "end_turn";
    const message = { id: `msg_${++ids}`, type: "message", role: "assistant", model: body.model };
    if (body.stream) {
      streamMessage(res, message, content, usage, stop, reply.breakOff === true);
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        ...message,
        content,
        stop_reason: stop,
        stop_sequence: null,
        usage: { input_tokens: usage.input, output_tokens: usage.output },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    on: (marker, replies) => void scripts.set(marker, replies),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Block = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: unknown };

function streamMessage(
  res: ServerResponse,
  message: Record<string, unknown>,
  content: Array<Record<string, unknown>>,
  usage: { input: number; output: number },
  stop: string,
  breakOff: boolean,
): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const event = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event("message_start", {
    message: {
      ...message,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: usage.input, output_tokens: 1 },
    },
  });
  for (const [index, b] of (content as Block[]).entries()) {
    if (b.type === "text") {
      event("content_block_start", { index, content_block: { type: "text", text: "" } });
      const half = Math.ceil(b.text.length / 2);
      for (const text of [b.text.slice(0, half), b.text.slice(half)].filter(Boolean)) {
        event("content_block_delta", { index, delta: { type: "text_delta", text } });
        if (breakOff) {
          event("error", { error: { type: "overloaded_error", message: "Overloaded" } });
          res.end();
          return;
        }
      }
    } else {
      event("content_block_start", {
        index,
        content_block: { type: "tool_use", id: b.id, name: b.name, input: {} },
      });
      const json = JSON.stringify(b.input);
      const cut = Math.ceil(json.length / 2);
      for (const partial_json of [json.slice(0, cut), json.slice(cut)])
        event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } });
    }
    event("content_block_stop", { index });
  }
  event("message_delta", {
    delta: { stop_reason: stop, stop_sequence: null },
    usage: { output_tokens: usage.output },
  });
  event("message_stop", {});
  res.end();
}
