// The loopback model for llm-ttft: an OpenAI-compatible chat-completions server that streams a short answer
// (role, then content right away, a few more pieces, finish, a usage chunk, [DONE]) and lists one model.
// Prints "chat upstream listening on <port>" once ready.
import { createServer } from "node:http";

const PIECES = ["Hello", ", ", "world", "!"];

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url?.endsWith("/models")) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ object: "list", data: [{ id: "bench-model", object: "model", owned_by: "bench" }] }),
    );
    return;
  }
  let body = "";
  req.on("data", (d) => {
    body += d;
  });
  req.on("end", () => {
    const { model } = JSON.parse(body);
    const created = Math.floor(Date.now() / 1000);
    const chunk = (choices, extra = {}) =>
      `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", created, model, choices, ...extra })}\n\n`;
    const delta = (d, finish = null) => chunk([{ index: 0, delta: d, finish_reason: finish }]);
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(delta({ role: "assistant", content: "" }) + delta({ content: PIECES[0] }));
    let i = 1;
    const next = () => {
      if (i < PIECES.length) {
        res.write(delta({ content: PIECES[i++] }));
        setImmediate(next);
        return;
      }
      res.write(delta({}, "stop"));
      res.write(chunk([], { usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 } }));
      res.end("data: [DONE]\n\n");
    };
    setImmediate(next);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  process.stdout.write(`chat upstream listening on ${typeof addr === "object" && addr ? addr.port : 0}\n`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
