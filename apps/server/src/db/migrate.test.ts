// Migrations on a PostgreSQL database shared with other schemas (other installs, parallel test suites).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { uniq } from "../test-support/harness.js";
import { connect, type Db } from "./connect.js";
import { migrateToLatest } from "./migrate.js";

const PG_URL = process.env.MOGPLEX_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schemas: string[] = [];
const dbs: Db[] = [];
const dataDir = mkdtempSync(join(tmpdir(), "mogplex-migrate-"));

async function admin(query: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(query);
  await c.end();
}

async function freshSchema(): Promise<Db> {
  const schema = uniq("m_");
  schemas.push(schema);
  await admin(`create schema ${schema}`);
  const db = connect({ dataDir, databaseUrl: PG_URL, pgSchema: schema, poolSize: 2 });
  dbs.push(db);
  return db;
}

afterAll(async () => {
  for (const db of dbs) await db.close();
  for (const s of schemas) await admin(`drop schema if exists ${s} cascade`);
  rmSync(dataDir, { recursive: true, force: true });
});

describe("migrateToLatest on PostgreSQL", () => {
  it("migrates a schema even when another schema of the same database is already migrated", async () => {
    const first = await freshSchema();
    const applied = await migrateToLatest(first.db, "postgres");
    expect(applied.length).toBeGreaterThan(0);

    // The migrator must look for its own bookkeeping tables in this schema, not anywhere in the database.
    const second = await freshSchema();
    expect(await migrateToLatest(second.db, "postgres")).toEqual(applied);
    const r = await sql<{ n: number }>`select count(*)::int as n from runs`.execute(second.db);
    expect(r.rows[0]?.n).toBe(0);

    expect(await migrateToLatest(second.db, "postgres")).toEqual([]);
  });
});
