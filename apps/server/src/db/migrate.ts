// Forward-only migration runner over Kysely's Migrator (it takes a lock on PostgreSQL).
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";
import * as m0001 from "./migrations/0001_core.js";
import { authMigration } from "./migrations/0002_auth.js";

function migrations(dialect: "sqlite" | "postgres"): Record<string, Migration> {
  return {
    "0001_core": m0001,
    "0002_auth": authMigration(dialect),
  };
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: "sqlite" | "postgres") {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

export class MigrationError extends Error {}

/** Applies every pending migration; returns the names applied. */
// biome-ignore lint/suspicious/noExplicitAny: the migrator works below the typed schema
export async function migrateToLatest(db: Kysely<any>, dialect: "sqlite" | "postgres"): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one; on a database shared
  // with other schemas it would find theirs, skip creating ours, then fail on the missing lock table.
  const schema =
    dialect === "postgres"
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
      : undefined;
  const migrator = new Migrator({
    db,
    provider: new StaticProvider(dialect),
    migrationTableName: "mogplex_migrations",
    migrationLockTableName: "mogplex_migrations_lock",
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new MigrationError(
      `migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
