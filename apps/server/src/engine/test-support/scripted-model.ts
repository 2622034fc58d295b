// A scripted OpenAI-compatible chat-completions server on 127.0.0.1: the model double for end-to-end runs.
// Answers as JSON, or (`stream: true`) as SSE chunks ending in `data: [DONE]`, with a usage chunk when asked
// for through `stream_options.include_usage`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface Reply {
  toolCalls?: Array<{ name: string; args: Record<string, unknown> }>;
  text?: string;
  usage?: { prompt: number; completion: number };
  /** Answer with this HTTP status and error body instead. */
  status?: number;
  /** The error body's message (default: "scripted failure <status>"). */
  errorMessage?: string;
  /** Hold the answer back (to test per-call timeouts and cancel during a model call). */
  delayMs?: number;
}

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: unknown; tool_calls?: unknown }>;
  authorization: string | undefined;
  /** Names of the tools offered with this request. */
  tools: string[];
  /** Whether the caller asked for a streamed answer, and for a usage chunk in it. */
  stream: boolean;
  includeUsage: boolean;
}

/** Picks the reply for a request; `step` counts the assistant turns already in the conversation. */
export type Script = (req: ChatRequest, step: number) => Reply;

export interface ScriptedModel {
  baseURL: string;
  requests: ChatRequest[];
  /** Routes a conversation to a script by a marker in its first user message. */
  on(marker: string, script: Script | Reply[]): void;
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

function firstUserText(messages: ChatRequest["messages"]): string {
  const m = messages.find((x) => x.role === "user");
  if (!m) return "";
  return typeof m.content === "string" ? m.content : JSON.stringify(m.content);
}

/** `models`: what GET /models lists (the model catalogue reads it as openai-compatible/<id>). */
export async function startScriptedModel(o: { models?: string[] } = {}): Promise<ScriptedModel> {
  const scripts = new Map<string, Script>();
  const requests: ChatRequest[] = [];
  let calls = 0;
  const server: Server = createServer(async (req, res) => {
    if (req.method === "GET" && req.url?.endsWith("/models")) {
      const data = (o.models ?? ["scripted-coder"]).map((id) => ({ id, object: "model", owned_by: "test" }));
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ object: "list", data }));
      return;
    }
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(await read(req)) as {
      model: string;
      messages: ChatRequest["messages"];
      tools?: Array<{ function?: { name?: string } }>;
      stream?: boolean;
      stream_options?: { include_usage?: boolean };
    };
    const chat: ChatRequest = {
      model: body.model,
      messages: body.messages,
      authorization: req.headers.authorization,
      tools: (body.tools ?? []).map((t) => t.function?.name ?? ""),
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
    };
    requests.push(chat);
    const text = firstUserText(body.messages);
    // Longest marker first, so "RUN-STEPS" is not taken for "RUN-STEP".
    const script = [...scripts.entries()]
      .sort(([x], [y]) => y.length - x.length)
      .find(([marker]) => text.includes(marker))?.[1];
    const step = body.messages.filter((m) => m.role === "assistant").length;
    const reply: Reply = script ? script(chat, step) : { text: "no script for this prompt" };
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed) return;
    if (reply.status) {
      res.writeHead(reply.status, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: { message: reply.errorMessage ?? `scripted failure ${reply.status}`, type: "scripted" },
        }),
      );
      return;
    }
    const toolCalls = (reply.toolCalls ?? []).map((t) => ({
      id: `call_${++calls}`,
      type: "function",
      function: { name: t.name, arguments: JSON.stringify(t.args) },
    }));
    const usage = reply.usage ?? { prompt: 100, completion: 20 };
    if (chat.stream) {
      streamAnswer(res, { id: `chatcmpl-${calls}`, model: body.model, reply, toolCalls, usage, chat });
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${calls}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: reply.text ?? null,
              ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
            },
            finish_reason: toolCalls.length > 0 ? "tool_calls" : "stop",
          },
        ],
        usage: {
          prompt_tokens: usage.prompt,
          completion_tokens: usage.completion,
          total_tokens: usage.prompt + usage.completion,
        },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    on(marker, script) {
      scripts.set(marker, Array.isArray(script) ? (_req, step) => script[step] ?? { text: "done" } : script);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Answer {
  id: string;
  model: string;
  reply: Reply;
  toolCalls: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
  usage: { prompt: number; completion: number };
  chat: ChatRequest;
}

/** The answer as chat.completion.chunk events: role, text in two pieces, each tool call, finish, usage, [DONE]. */
function streamAnswer(res: ServerResponse, a: Answer): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    res.write(
      `data: ${JSON.stringify({ id: a.id, object: "chat.completion.chunk", created, model: a.model, choices, ...extra })}\n\n`,
    );
  const delta = (d: Record<string, unknown>, finish: string | null = null) =>
    chunk([{ index: 0, delta: d, finish_reason: finish }]);
  delta({ role: "assistant", content: "" });
  const text = a.reply.text ?? "";
  if (text) {
    const half = Math.ceil(text.length / 2);
    delta({ content: text.slice(0, half) });
    if (text.length > half) delta({ content: text.slice(half) });
  }
  a.toolCalls.forEach((t, index) => {
    delta({
      tool_calls: [{ index, id: t.id, type: "function", function: { name: t.function.name, arguments: "" } }],
    });
    delta({ tool_calls: [{ index, function: { arguments: t.function.arguments } }] });
  });
  delta({}, a.toolCalls.length > 0 ? "tool_calls" : "stop");
  if (a.chat.includeUsage) {
    const u = a.usage;
    chunk([], {
      usage: {
        prompt_tokens: u.prompt,
        completion_tokens: u.completion,
        total_tokens: u.prompt + u.completion,
      },
    });
  }
  res.end("data: [DONE]\n\n");
}
