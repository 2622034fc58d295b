// The run engine: run leases (durable claims with heartbeat), team provider keys (sealed), per-repo egress allowlists.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  // One row per claimed run. A run with no row, or with an expired row it never started, is claimable;
  // a started run whose row expired lost its worker and is finished as failed by whoever notices.
  await db.schema
    .createTable("run_leases")
    .addColumn("run_id", "text", (c) => c.primaryKey().references("runs.id"))
    .addColumn("worker_id", "text", (c) => c.notNull())
    .addColumn("claimed_at", "bigint", (c) => c.notNull())
    .addColumn("heartbeat_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("started", "integer", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("run_leases_expires").on("run_leases").column("expires_at").execute();
  // The claim query walks pending runs oldest first.
  await db.schema.createIndex("runs_status_created").on("runs").columns(["status", "created_at"]).execute();

  await db.schema
    .createTable("team_provider_keys")
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("provider", "text", (c) => c.notNull())
    .addColumn("key_enc", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("team_provider_keys_pk", ["team_id", "provider"])
    .execute();

  await db.schema
    .createTable("repo_egress")
    .addColumn("repo_id", "text", (c) => c.primaryKey().references("repos.id"))
    .addColumn("hosts", "text", (c) => c.notNull()) // JSON array of host names / *.suffix patterns
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
}
