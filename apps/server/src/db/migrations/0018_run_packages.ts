// Packages in runs: the registry packages a run installs into its workspace before the agent starts.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  // JSON array of `vendor/slug@version`; null = none.
  await db.schema.alterTable("runs").addColumn("packages", "text").execute();
}
