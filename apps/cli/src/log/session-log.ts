// The per-session JSONL log at $MOGPLEX_HOME/logs/<session-id>.jsonl (0600 in 0700 folders): every record is
// redacted before it is written; stream chunks and tool outputs only with MOGPLEX_DEBUG=1.
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { Redactor } from "./redact.js";

/** Older logs beyond this many are removed when a new session starts. */
export const KEEP_LOGS = 100;

export function newSessionId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, "-")}-${randomBytes(4).toString("hex")}`;
}

export class SessionLog {
  readonly id: string;
  readonly dir: string;
  readonly path: string;
  readonly redactor = new Redactor();
  private fd: number | undefined;
  private broken = false;

  constructor(
    home: string,
    readonly debugEnabled: boolean,
    id = newSessionId(),
  ) {
    this.id = id;
    this.dir = join(home, "logs");
    this.path = join(this.dir, `${id}.jsonl`);
  }

  /** Remember a secret so no record ever carries it, wherever it appears. */
  secret(value: string | undefined | null): void {
    this.redactor.add(value);
  }

  write(event: string, fields: Record<string, unknown> = {}): void {
    if (this.broken) return;
    // Fields never overwrite the record's own keys.
    const record = this.redactor.value({ ...fields, ts: new Date().toISOString(), session: this.id, event });
    try {
      this.fd ??= this.open();
      writeSync(this.fd, `${JSON.stringify(record)}\n`);
    } catch {
      // A log that can't be written must never break the command it describes.
      this.broken = true;
    }
  }

  /** Content-bearing records (stream chunks, tool outputs): only with MOGPLEX_DEBUG=1, still redacted. */
  debug(event: string, fields: Record<string, unknown>): void {
    if (this.debugEnabled) this.write(event, fields);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): number {
    const parent = join(this.dir, "..");
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    const fd = openSync(this.path, "wx", 0o600);
    prune(this.dir, this.path);
    return fd;
  }
}

function prune(dir: string, current: string): void {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort();
  for (const f of files.slice(0, Math.max(0, files.length - KEEP_LOGS))) {
    const p = join(dir, f);
    if (p !== current) unlinkSync(p);
  }
}
