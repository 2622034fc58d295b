// OAuth grants name their resource: the MCP gateway (servers and tools, as a gateway key) or the platform MCP
// (PAT-like scopes). One live grant per client, person and resource.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .alterTable("oauth_grants")
    .addColumn("resource", "text", (c) => c.notNull().defaultTo("gateway"))
    .execute();
  await db.schema.alterTable("oauth_grants").addColumn("scopes", "text").execute();
}
