// Forward-only migration runner: applies each pending migration in its own transaction, once, under a lock.
import { type Kysely, type Migration, sql } from "kysely";
import * as m0001 from "./migrations/0001_core.js";
import { authMigration } from "./migrations/0002_auth.js";
import * as m0003 from "./migrations/0003_cli_auth.js";
import * as m0004 from "./migrations/0004_gateway.js";
import * as m0005 from "./migrations/0005_engine.js";
import * as m0006 from "./migrations/0006_mcp_egress.js";
import * as m0007 from "./migrations/0007_token_client.js";
import * as m0008 from "./migrations/0008_ip_allowlists.js";
import * as m0009 from "./migrations/0009_mcp_mounts_status.js";
import * as m0010 from "./migrations/0010_registry.js";
import * as m0011 from "./migrations/0011_wallet.js";
import * as m0012 from "./migrations/0012_device_client.js";
import * as m0013 from "./migrations/0013_run_tools.js";
import { oauthMigration } from "./migrations/0014_oauth.js";
import * as m0015 from "./migrations/0015_run_preview.js";
import * as m0016 from "./migrations/0016_oauth_resource.js";
import * as m0017 from "./migrations/0017_llm_usage.js";
import * as m0018 from "./migrations/0018_run_packages.js";
import * as m0019 from "./migrations/0019_preview_origins.js";

function migrations(dialect: "sqlite" | "postgres"): Record<string, Migration> {
  return {
    "0001_core": m0001,
    "0002_auth": authMigration(dialect),
    "0004_gateway": m0004,
    "0003_cli_auth": m0003,
    "0005_engine": m0005,
    "0006_mcp_egress": m0006,
    "0007_token_client": m0007,
    "0008_ip_allowlists": m0008,
    "0009_mcp_mounts_status": m0009,
    "0010_registry": m0010,
    "0011_wallet": m0011,
    "0012_device_client": m0012,
    "0014_oauth": oauthMigration(dialect),
    "0013_run_tools": m0013,
    "0015_run_preview": m0015,
    "0016_oauth_resource": m0016,
    "0017_llm_usage": m0017,
    "0018_run_packages": m0018,
    "0019_preview_origins": m0019,
  };
}

export class MigrationError extends Error {}

// Arbitrary constant naming the migration lock on PostgreSQL (session-level advisory lock).
const MIGRATION_LOCK_KEY = 7_402_114;

/**
 * Applies every pending migration; returns the names applied. Deliberately not Kysely's Migrator: its
 * introspection reads every schema in the database and fails when another schema is dropped meanwhile.
 * Only this schema's `mogplex_migrations` table is consulted (same layout as before, so nothing to convert).
 */
// biome-ignore lint/suspicious/noExplicitAny: the runner works below the typed schema
export async function migrateToLatest(db: Kysely<any>, dialect: "sqlite" | "postgres"): Promise<string[]> {
  const all = migrations(dialect);
  const names = Object.keys(all).sort();
  await sql`create table if not exists mogplex_migrations (name varchar(255) primary key, timestamp varchar(255) not null)`.execute(
    db,
  );
  const applied: string[] = [];
  await db.connection().execute(async (conn) => {
    if (dialect === "postgres") await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
    try {
      for (const name of names) {
        const migration = all[name] as Migration;
        try {
          const ran = await conn.transaction().execute(async (trx) => {
            // Re-checked inside the transaction: another process may have applied it while we waited.
            const done = await trx
              .selectFrom("mogplex_migrations")
              .select("name")
              .where("name", "=", name)
              .executeTakeFirst();
            if (done) return false;
            await migration.up(trx);
            await trx
              .insertInto("mogplex_migrations")
              .values({ name, timestamp: new Date().toISOString() })
              .execute();
            return true;
          });
          if (ran) applied.push(name);
        } catch (err) {
          throw new MigrationError(
            `migration ${name} failed: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      }
    } finally {
      if (dialect === "postgres") await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
    }
  });
  return applied;
}
