// A device sign-in remembers which CLI asked for it (`mog` gets the registry's scopes); null is `mogplex`.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable("cli_device_codes").addColumn("client_id", "text").execute();
}
