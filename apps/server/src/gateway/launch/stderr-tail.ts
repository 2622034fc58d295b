// The last bytes a stdio MCP server wrote to stderr: kept in memory (bounded), shown only once redacted.
import { sanitizeEventText } from "../../sanitize/index.js";

/** Bytes of stderr kept per process: the end is where a failing server says why. */
export const STDERR_TAIL_BYTES = 2048;

/** A ring of the last STDERR_TAIL_BYTES bytes written. */
export class StderrTail {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes were dropped from the front: the first line kept may be a fragment. */
  private cut = false;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    // Whole chunks go while what is left still holds a full tail; a big one is cut down to what is needed.
    while (this.chunks.length > 1 && this.size - (this.chunks[0] as Buffer).length >= STDERR_TAIL_BYTES) {
      this.size -= (this.chunks.shift() as Buffer).length;
      this.cut = true;
    }
    if (this.size > STDERR_TAIL_BYTES * 4) {
      const all = Buffer.concat(this.chunks);
      this.chunks = [Buffer.from(all.subarray(all.length - STDERR_TAIL_BYTES * 2))];
      this.size = STDERR_TAIL_BYTES * 2;
      this.cut = true;
    }
  }

  /** The raw tail: whole lines only when the front was cut (a fragment could be half a secret). */
  text(): string {
    let buf = Buffer.concat(this.chunks);
    let cut = this.cut;
    if (buf.length > STDERR_TAIL_BYTES) {
      buf = buf.subarray(buf.length - STDERR_TAIL_BYTES);
      cut = true;
    }
    if (cut) {
      const nl = buf.indexOf(0x0a);
      buf = nl === -1 ? Buffer.alloc(0) : buf.subarray(nl + 1);
    }
    return buf.toString("utf8");
  }
}

// Terminal control sequences and C0 controls other than tab and newline: a log viewer must not interpret them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL = /\u001b\[[0-?]*[ -/]*[@-~]|[\u0000-\u0008\u000b-\u001f\u007f]/g;

/**
 * The tail made safe to log and show: control characters stripped, secrets redacted by the project's sanitiser
 * (its patterns plus the server's own env and header values), within the sanitiser's size. When redaction
 * makes it too long, whole lines are dropped from the front rather than the end (the end says why).
 */
export function redactedTail(raw: string, knownSecrets: readonly string[]): string {
  let lines = raw.replace(CONTROL, "").replace(/\s+$/, "").split("\n");
  for (;;) {
    const text = sanitizeEventText(lines.join("\n"), { knownSecrets });
    if (!/…\[truncated \d+ chars\]$/.test(text) || lines.length <= 1) return text;
    lines = lines.slice(1);
  }
}

/** The last few non-empty lines of an already redacted tail, for a one-line status message. */
export function lastLines(redacted: string, n = 3, max = 400): string {
  const lines = redacted
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const joined = lines.slice(-n).join(" / ");
  return joined.length > max ? `…${joined.slice(joined.length - max)}` : joined;
}
