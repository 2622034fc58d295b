// Minimal text/event-stream parser: yields {id, event, data} for each complete event.
export interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let msg: { id?: string; event?: string; data: string[] } = { data: [] };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (!done) buffer += decoder.decode(value, { stream: true });
      for (;;) {
        // Lines end in CRLF, LF or a lone CR; a CR at the very end may be the first half of a CRLF, unless the
        // stream has ended.
        const nl = buffer.search(/[\r\n]/);
        if (nl < 0 || (!done && buffer[nl] === "\r" && nl === buffer.length - 1)) break;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(buffer[nl] === "\r" && buffer[nl + 1] === "\n" ? nl + 2 : nl + 1);
        if (line === "") {
          if (msg.data.length > 0) yield { id: msg.id, event: msg.event, data: msg.data.join("\n") };
          msg = { data: [] };
        } else if (!line.startsWith(":")) {
          const i = line.indexOf(":");
          const field = i < 0 ? line : line.slice(0, i);
          const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
          if (field === "data") msg.data.push(value);
          else if (field === "id") msg.id = value;
          else if (field === "event") msg.event = value;
        }
      }
      // Whatever is left has no line ending: an incomplete message, dropped as the format requires.
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}
