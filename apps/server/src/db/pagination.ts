// Opaque keyset cursors (base64url of {createdAt,id}) for newest-first lists.
import { type RawBuilder, type SqlBool, sql } from "kysely";
import { badRequest } from "../failure.js";

export interface Cursor {
  createdAt: number;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify({ createdAt: c.createdAt, id: c.id })).toString("base64url");
}

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined || raw === "") return undefined;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw new Error("alphabet");
    const v = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as unknown;
    if (
      typeof v === "object" &&
      v !== null &&
      typeof (v as Cursor).createdAt === "number" &&
      Number.isSafeInteger((v as Cursor).createdAt) &&
      typeof (v as Cursor).id === "string" &&
      (v as Cursor).id.length <= 64
    ) {
      return { createdAt: (v as Cursor).createdAt, id: (v as Cursor).id };
    }
  } catch {
    // fall through to the one error below
  }
  throw badRequest("cursor is invalid");
}

/** WHERE clause for "strictly older than the cursor" under ORDER BY created_at DESC, id DESC. */
export function olderThan(cursor: Cursor): RawBuilder<SqlBool> {
  return sql<SqlBool>`(created_at < ${cursor.createdAt} or (created_at = ${cursor.createdAt} and id < ${cursor.id}))`;
}

/** Splits a fetched page of limit+1 rows into the page and the next cursor. */
export function pageOf<T extends { created_at: number; id: string }>(
  rows: T[],
  limit: number,
): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    page,
    nextCursor:
      rows.length > limit && last ? encodeCursor({ createdAt: Number(last.created_at), id: last.id }) : null,
  };
}
