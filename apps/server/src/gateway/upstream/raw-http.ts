// The lean upstream path for one JSON-RPC request over an established Streamable HTTP session (keep-alive
// sockets, no per-call validation layers); anything unusual is reported so the SDK client path takes over.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";

/** The upstream no longer knows the session: the caller re-initialises through the SDK client. */
export class SessionLostError extends Error {}

export interface RawCall {
  sessionId: string;
  protocolVersion: string | undefined;
  method: string;
  params: Record<string, unknown>;
  signal?: AbortSignal;
  timeoutMs: number;
}

let seq = 0;
// String ids can't collide with the SDK client's numeric ones on the same session: the upstream routes each
// response to the stream of the request id it was given, so a clash would misdeliver.
const nextId = () => {
  seq = (seq + 1) % Number.MAX_SAFE_INTEGER;
  return `g${seq}`;
};

type Message = { id?: unknown; result?: Record<string, unknown>; error?: { code: number; message: string } };

export class RawHttpChannel {
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(
    private readonly url: URL,
    private readonly headers: Readonly<Record<string, string>>,
  ) {
    const https = url.protocol === "https:";
    this.agent = https
      ? new HttpsAgent({ keepAlive: true, maxSockets: 64 })
      : new HttpAgent({ keepAlive: true, maxSockets: 64 });
    this.send = (https ? httpsRequest : httpRequest) as typeof httpRequest;
  }

  call(c: RawCall): Promise<Record<string, unknown>> {
    const id = nextId();
    const body = JSON.stringify({ jsonrpc: "2.0", id, method: c.method, params: c.params });
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null, result?: Record<string, unknown>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        c.signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve(result as Record<string, unknown>);
      };
      const req = this.send(
        this.url,
        {
          method: "POST",
          agent: this.agent,
          headers: {
            ...this.headers,
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            "content-length": Buffer.byteLength(body),
            "mcp-session-id": c.sessionId,
            ...(c.protocolVersion ? { "mcp-protocol-version": c.protocolVersion } : {}),
          },
        },
        (res) => this.read(res, id, finish),
      );
      const onAbort = () => {
        req.destroy();
        this.cancel(c, id);
        finish(Object.assign(new Error("Request cancelled"), { name: "AbortError" }));
      };
      const timer = setTimeout(() => {
        req.destroy();
        this.cancel(c, id);
        finish(new McpError(ErrorCode.RequestTimeout, "Request timed out"));
      }, c.timeoutMs);
      if (c.signal?.aborted) return onAbort();
      c.signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (err) => finish(err));
      req.end(body);
    });
  }

  private read(
    res: IncomingMessage,
    id: string,
    finish: (err: Error | null, r?: Record<string, unknown>) => void,
  ) {
    const status = res.statusCode ?? 0;
    const type = String(res.headers["content-type"] ?? "");
    let text = "";
    res.setEncoding("utf8");
    const settle = (m: Message | undefined) => {
      if (!m) return finish(new Error("upstream sent no response"));
      if (m.error) return finish(new McpError(m.error.code, m.error.message));
      finish(null, m.result ?? {});
    };
    if (status === 404 || status === 400) {
      res.on("data", (d: string) => {
        text += d;
      });
      res.on("end", () =>
        finish(
          status === 404 || /session/i.test(text)
            ? new SessionLostError(text.slice(0, 200))
            : new Error(`upstream answered ${status}`),
        ),
      );
      return;
    }
    if (status < 200 || status >= 300) {
      res.resume();
      return finish(new Error(`upstream answered ${status}`));
    }
    if (type.includes("text/event-stream")) {
      // Events until the one answering our id; notifications on the way (logging and the like) are dropped.
      res.on("data", (d: string) => {
        text += d;
        let end = text.indexOf("\n\n");
        while (end >= 0) {
          const event = text.slice(0, end);
          text = text.slice(end + 2);
          const data = event
            .split("\n")
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(l.startsWith("data: ") ? 6 : 5))
            .join("\n");
          if (data) {
            try {
              const m = JSON.parse(data) as Message;
              if (m.id === id && ("result" in m || "error" in m)) {
                // Answer now, but let the stream run to its end so the socket goes back to the keep-alive pool.
                res.removeAllListeners("data");
                res.resume();
                return settle(m);
              }
            } catch {
              // not JSON: skip the event
            }
          }
          end = text.indexOf("\n\n");
        }
      });
      res.on("end", () => finish(new Error("upstream stream ended without a response")));
      res.on("error", (err) => finish(err));
      return;
    }
    res.on("data", (d: string) => {
      text += d;
    });
    res.on("end", () => {
      try {
        const parsed = JSON.parse(text) as Message | Message[];
        settle(Array.isArray(parsed) ? parsed.find((m) => m.id === id) : parsed);
      } catch {
        finish(new Error("upstream sent malformed JSON"));
      }
    });
    res.on("error", (err) => finish(err));
  }

  /** Tells the upstream to stop working on an abandoned request (best effort, fire and forget). */
  private cancel(c: RawCall, id: string): void {
    const body = JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: id },
    });
    const req = this.send(this.url, {
      method: "POST",
      agent: this.agent,
      headers: {
        ...this.headers,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "content-length": Buffer.byteLength(body),
        "mcp-session-id": c.sessionId,
        ...(c.protocolVersion ? { "mcp-protocol-version": c.protocolVersion } : {}),
      },
    });
    req.on("response", (res) => res.resume());
    req.on("error", () => undefined);
    req.end(body);
  }

  close(): void {
    this.agent.destroy();
  }
}
