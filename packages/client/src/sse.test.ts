// parseSse against the text/event-stream rules: fields, comments, line endings, and arbitrary chunk boundaries.
import { describe, expect, it } from "vitest";
import { parseSse, type SseMessage } from "./sse.js";

/** A body that delivers `chunks` one read at a time, exactly as split. */
function body(chunks: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(typeof c === "string" ? enc.encode(c) : c);
      controller.close();
    },
  });
}

async function collect(chunks: Array<string | Uint8Array>): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for await (const m of parseSse(body(chunks))) out.push(m);
  return out;
}

/** Every way of cutting `text` into two chunks, plus one byte per chunk. */
function splits(text: string): Array<Array<string | Uint8Array>> {
  const bytes = new TextEncoder().encode(text);
  const out: Array<Array<string | Uint8Array>> = [];
  for (let i = 0; i <= bytes.length; i++) out.push([bytes.slice(0, i), bytes.slice(i)]);
  out.push(Array.from(bytes, (b) => new Uint8Array([b])));
  return out;
}

describe("parseSse", () => {
  it("reads id, event and data, one message per blank line", async () => {
    expect(
      await collect(['id: 1\nevent: log\ndata: {"a":1}\n\nid: 2\nevent: finished\ndata: {}\n\n']),
    ).toEqual([
      { id: "1", event: "log", data: '{"a":1}' },
      { id: "2", event: "finished", data: "{}" },
    ]);
  });

  it("joins multi-line data with newlines", async () => {
    expect(await collect(["data: first\ndata: second\ndata:\ndata: fourth\n\n"])).toEqual([
      { id: undefined, event: undefined, data: "first\nsecond\n\nfourth" },
    ]);
  });

  it("skips comment lines (keep-alives) and messages without data", async () => {
    expect(
      await collect([": keep-alive\n\n", ":\n", "event: ping\n\n", "data: real\n: inline comment\n\n"]),
    ).toEqual([{ id: undefined, event: undefined, data: "real" }]);
  });

  it("strips exactly one space after the colon, none when absent", async () => {
    expect((await collect(["data:no-space\n\ndata:  two spaces\n\n"])).map((m) => m.data)).toEqual([
      "no-space",
      " two spaces",
    ]);
  });

  it("treats a field name without a colon as the whole line, with an empty value", async () => {
    expect(await collect(["data\n\n"])).toEqual([{ id: undefined, event: undefined, data: "" }]);
  });

  it("ignores unknown fields such as retry", async () => {
    expect(await collect(["retry: 1000\nfoo: bar\ndata: x\n\n"])).toEqual([
      { id: undefined, event: undefined, data: "x" },
    ]);
  });

  it("accepts CRLF line endings", async () => {
    expect(await collect(["id: 7\r\nevent: log\r\ndata: a\r\ndata: b\r\n\r\n"])).toEqual([
      { id: "7", event: "log", data: "a\nb" },
    ]);
  });

  it("accepts bare CR line endings, as the event-stream format allows", async () => {
    expect(await collect(["id: 8\revent: log\rdata: c\r\r", "data: d\r\r"])).toEqual([
      { id: "8", event: "log", data: "c" },
      { id: undefined, event: undefined, data: "d" },
    ]);
  });

  it("gives the same messages however the bytes are split into chunks", async () => {
    const text = "id: 1\r\nevent: log\r\ndata: héllo ✓\r\n\r\n: ping\n\nid: 2\ndata: a\rdata: b\n\n";
    const expected = [
      { id: "1", event: "log", data: "héllo ✓" },
      { id: "2", event: undefined, data: "a\nb" },
    ];
    expect(await collect([text])).toEqual(expected);
    for (const chunks of splits(text)) expect(await collect(chunks)).toEqual(expected);
  });

  it("drops an incomplete message at the end of the stream", async () => {
    expect(await collect(["data: complete\n\n", "data: cut off"])).toEqual([
      { id: undefined, event: undefined, data: "complete" },
    ]);
    expect(await collect(["data: no blank line\n"])).toEqual([]);
  });

  it("releases the reader when the consumer stops early", async () => {
    const stream = body(["data: 1\n\n", "data: 2\n\n"]);
    for await (const m of parseSse(stream)) {
      expect(m.data).toBe("1");
      break;
    }
    expect(stream.locked).toBe(false);
  });
});
