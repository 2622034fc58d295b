// Printing conventions shared by the headless commands: one JSON object, NDJSON for lists, or plain lines.
import type { Ctx } from "../context.js";
import { UsageError } from "../errors.js";

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ListOptions {
  json?: boolean;
  limit?: string;
  cursor?: string;
  all?: boolean;
}

/** Walks pages (all of them with --all), printing each item as it arrives; hints at the next cursor. */
export async function printPages<T>(
  ctx: Ctx,
  o: ListOptions,
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
  line: (item: T) => string,
  empty: string,
): Promise<number> {
  let cursor = o.cursor;
  let count = 0;
  for (;;) {
    const page = await fetchPage(cursor);
    for (const item of page.items) {
      if (o.json) ctx.io.json(item);
      else ctx.io.out(line(item));
      count++;
    }
    cursor = page.nextCursor ?? undefined;
    if (!cursor) break;
    if (!o.all) {
      if (!o.json) ctx.io.err(`more results: add --cursor ${cursor} (or --all)`);
      break;
    }
  }
  if (count === 0 && !o.json) ctx.io.err(empty);
  return count;
}

export const columns = (...cells: Array<string | null | undefined>) => cells.map((c) => c ?? "-").join("  ");

/** `--limit` as the API wants it: a positive integer (the server clamps to 200). */
export function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) throw new UsageError("--limit must be a positive integer");
  return Number(raw);
}

/** A run's prompt as one short line: its first non-empty line, cut at `max` characters. */
export function firstLine(text: string, max = 72): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
  const t = line.trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** How long ago an ISO time was, in the largest whole unit: `40s ago`, `5m ago`, `3h ago`, `2d ago`. */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}
