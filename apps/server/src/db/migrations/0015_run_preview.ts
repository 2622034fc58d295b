// Previews: a run carries its sandbox's preview URL (the sandbox record has had one since 0001).
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  // The control plane's path of the run's live preview; null when its repo has no dev command or it stopped.
  await db.schema.alterTable("runs").addColumn("preview_url", "text").execute();
}
