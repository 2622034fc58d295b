// stdio MCP servers run sandboxed without network unless their connection names the hosts they may reach.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .alterTable("connections")
    .addColumn("egress_hosts", "text", (c) => c.notNull().defaultTo("[]"))
    .execute();
}
