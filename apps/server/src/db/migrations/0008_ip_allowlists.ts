// Optional network allowlists (CIDR lists) on personal access tokens and gateway keys.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  for (const table of ["personal_access_tokens", "gateway_keys"]) {
    await db.schema.alterTable(table).addColumn("ip_allowlist", "text").execute();
  }
}
