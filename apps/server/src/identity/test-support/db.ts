// Test-only views of the raw database: every row of every table as text, and audit rows by action.
import { sql } from "kysely";
import type { Harness } from "../../test-support/harness.js";

/** All rows of all of this harness's tables, JSON-encoded: for "the secret is nowhere" assertions. */
export async function dumpDatabase(h: Harness): Promise<string> {
  const db = h.s.db.db;
  let schema: string | undefined;
  if (h.dialect === "postgres") {
    const r = await sql<{ s: string }>`select current_schema() as s`.execute(db);
    schema = r.rows[0]?.s;
  }
  const tables = (await db.introspection.getTables()).filter((t) => !schema || t.schema === schema);
  if (tables.length < 5) throw new Error(`expected the app's tables, found ${tables.length}`);
  const parts: string[] = [];
  for (const t of tables) {
    const rows = await sql`select * from ${sql.table(t.name)}`.execute(db);
    parts.push(`${t.name}: ${JSON.stringify(rows.rows)}`);
  }
  return parts.join("\n");
}

export interface AuditRow {
  seq: number;
  id: string;
  team_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  auth_source: string | null;
  payload: Record<string, unknown>;
}

/** Audit rows (oldest first), optionally only those with one of `actions`. */
export async function auditRows(h: Harness, ...actions: string[]): Promise<AuditRow[]> {
  let q = h.s.db.db.selectFrom("audit_events").selectAll().orderBy("seq", "asc");
  if (actions.length > 0) q = q.where("action", "in", actions);
  const rows = await q.execute();
  return rows.map((r) => ({
    seq: Number(r.seq),
    id: r.id,
    team_id: r.team_id,
    actor_type: r.actor_type,
    actor_id: r.actor_id,
    action: r.action,
    target_type: r.target_type,
    target_id: r.target_id,
    ip: r.ip,
    auth_source: r.auth_source,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
  }));
}

/** The `name=value` pairs of a response's Set-Cookie headers, ready for a Cookie header. */
export function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .filter((c) => c && !c.endsWith("="))
    .join("; ");
}

/** The raw `twoFactor.backupCodes` column (not in the typed schema: only Better Auth reads it). */
export async function storedBackupCodes(h: Harness, userId: string): Promise<string> {
  const r = await sql<{
    codes: string;
  }>`select "backupCodes" as codes from "twoFactor" where "userId" = ${userId}`.execute(h.s.db.db);
  const row = r.rows[0];
  if (!row) throw new Error("no twoFactor row");
  return row.codes;
}
