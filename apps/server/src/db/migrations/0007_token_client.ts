// Tokens remember what minted them, so runs started with the CLI's own sign-in are recorded as source "cli".
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .alterTable("personal_access_tokens")
    .addColumn("client", "text", (c) => c.notNull().defaultTo("api"))
    .execute();
}
