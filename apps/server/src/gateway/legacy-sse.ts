// The 2024-11 HTTP+SSE transport for old MCP clients, on Web streams: GET opens the stream, POSTs carry messages.
import { randomUUID } from "node:crypto";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

const KEEPALIVE_MS = 15_000;

export class LegacySseTransport implements Transport {
  readonly sessionId = randomUUID();
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: { authInfo?: AuthInfo }) => void;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private readonly encoder = new TextEncoder();
  private closed = false;
  private keepalive: NodeJS.Timeout | undefined;

  constructor(private readonly endpoint: string) {}

  /** The GET response: first an `endpoint` event naming where to POST, then one `message` event per message. */
  response(): Response {
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
        this.write(`event: endpoint\ndata: ${this.endpoint}?sessionId=${this.sessionId}\n\n`);
        this.keepalive = setInterval(() => this.write(": keep-alive\n\n"), KEEPALIVE_MS);
        this.keepalive.unref();
      },
      cancel: () => this.finish(),
    });
    return new Response(stream, {
      status: 200,
      headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache, no-transform" },
    });
  }

  private write(text: string): void {
    if (this.closed || !this.controller) return;
    try {
      this.controller.enqueue(this.encoder.encode(text));
    } catch {
      this.finish();
    }
  }

  async start(): Promise<void> {}

  /** A POSTed message; false when it isn't JSON-RPC (the caller answers 400). */
  receive(body: unknown, authInfo: AuthInfo): boolean {
    const parsed = JSONRPCMessageSchema.safeParse(body);
    if (!parsed.success || this.closed) return false;
    this.onmessage?.(parsed.data, { authInfo });
    return true;
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error("SSE stream closed");
    this.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.keepalive) clearInterval(this.keepalive);
    try {
      this.controller?.close();
    } catch {
      // already closed by the client going away
    }
    this.onclose?.();
  }

  async close(): Promise<void> {
    this.finish();
  }
}
