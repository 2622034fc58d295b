// An MCP server's health as the connections list shows it: the last failure to start or connect (time and a
// sanitised message) until the next success. Written by the gateway; never bumps the row's version.

import type { ConnectionSummary } from "@mogplex/contract";
import type { Kysely } from "kysely";
import { iso } from "../clock.js";
import type { ConnectionsTable, DB } from "../db/schema.js";

export const MAX_STATUS_MESSAGE = 1000;

export function statusOf(r: ConnectionsTable): Pick<ConnectionSummary, "status" | "lastError"> {
  const lastError =
    r.last_error !== null && r.last_error_at !== null
      ? { at: iso(Number(r.last_error_at)), message: r.last_error }
      : null;
  if (Number(r.enabled) !== 1) return { status: "disabled", lastError };
  if (lastError) return { status: "failing", lastError };
  return { status: r.last_ok_at !== null ? "ok" : "untested", lastError: null };
}

/** Fields an update resets: a changed launch config makes the old error (and the old success) stale. */
export const STATUS_RESET = { last_error: null, last_error_at: null, last_ok_at: null } as const;

/**
 * Records the outcome of a start for the config `version` the gateway used: a write for an older version
 * (the row changed meanwhile) is dropped, so a fixed server never shows its previous config's error.
 */
export async function recordStatus(
  db: Kysely<DB>,
  id: string,
  version: number,
  at: number,
  outcome: { ok: true } | { ok: false; message: string },
): Promise<void> {
  let q = db.updateTable("connections").where("id", "=", id).where("updated_at", "=", version);
  if (outcome.ok) {
    // Only when it changes something: a healthy server restarting writes nothing.
    await q
      .set({ last_error: null, last_error_at: null, last_ok_at: at })
      .where((eb) => eb.or([eb("last_error_at", "is not", null), eb("last_ok_at", "is", null)]))
      .execute();
    return;
  }
  q = q.set({ last_error: outcome.message.slice(0, MAX_STATUS_MESSAGE), last_error_at: at });
  await q.execute();
}
