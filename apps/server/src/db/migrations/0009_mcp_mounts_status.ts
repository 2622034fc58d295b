// stdio MCP servers get their own read-only mounts; every MCP server keeps its last start failure for the
// connections list (cleared by the next successful start).
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .alterTable("connections")
    .addColumn("mounts", "text", (c) => c.notNull().defaultTo("[]"))
    .execute();
  await db.schema.alterTable("connections").addColumn("last_error", "text").execute();
  await db.schema.alterTable("connections").addColumn("last_error_at", "bigint").execute();
  await db.schema.alterTable("connections").addColumn("last_ok_at", "bigint").execute();
}
