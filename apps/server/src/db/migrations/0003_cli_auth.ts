// CLI sign-in: single-use browser hand-off codes (PKCE-bound) and our own RFC 8628 device codes, all hashed.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("cli_auth_codes")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("code_hash", "text", (c) => c.notNull().unique())
    .addColumn("code_challenge", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("consumed_at", "bigint")
    .execute();
  await db.schema.createIndex("cli_auth_codes_expires").on("cli_auth_codes").column("expires_at").execute();

  await db.schema
    .createTable("cli_device_codes")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("device_code_hash", "text", (c) => c.notNull().unique())
    .addColumn("user_code_hash", "text", (c) => c.notNull().unique())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("interval_s", "integer", (c) => c.notNull())
    .addColumn("last_polled_at", "bigint")
    .addColumn("requester_ip", "text")
    .addColumn("requester_agent", "text")
    .addColumn("user_id", "text")
    .addColumn("team_id", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("decided_at", "bigint")
    .execute();
  await db.schema
    .createIndex("cli_device_codes_expires")
    .on("cli_device_codes")
    .column("expires_at")
    .execute();
}
