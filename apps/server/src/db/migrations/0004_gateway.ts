// Connections (encrypted credentials), repo exclusions, gateway keys and the metadata-only gateway request log.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("connections")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("repo_id", "text", (c) => c.references("repos.id"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("transport", "text")
    .addColumn("url", "text")
    .addColumn("command", "text")
    .addColumn("args", "text", (c) => c.notNull())
    // Names stay readable for listings; the values live only in the *_enc envelopes.
    .addColumn("header_names", "text", (c) => c.notNull())
    .addColumn("headers_enc", "text")
    .addColumn("env_names", "text", (c) => c.notNull())
    .addColumn("env_enc", "text")
    .addColumn("timeout_ms", "integer")
    .addColumn("enabled", "integer", (c) => c.notNull())
    .addColumn("created_by", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("connections_team_name", ["team_id", "name"])
    .execute();
  await db.schema
    .createIndex("connections_team_created")
    .on("connections")
    .columns(["team_id", "created_at", "id"])
    .execute();

  await db.schema
    .createTable("connection_exclusions")
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("repo_id", "text", (c) => c.notNull().references("repos.id"))
    .addColumn("connection_id", "text", (c) => c.notNull().references("connections.id"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("connection_exclusions_pk", ["repo_id", "connection_id"])
    .execute();

  await db.schema
    .createTable("gateway_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("key_id", "text", (c) => c.notNull().unique())
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("secret_hash", "text", (c) => c.notNull())
    .addColumn("prefix", "text", (c) => c.notNull())
    .addColumn("servers", "text")
    .addColumn("tools", "text")
    .addColumn("rate_limit_rps", "integer")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_used_at", "bigint")
    .addColumn("expires_at", "bigint")
    .addColumn("revoked_at", "bigint")
    .addColumn("rotated_at", "bigint")
    .execute();
  await db.schema
    .createIndex("gateway_keys_team_created")
    .on("gateway_keys")
    .columns(["team_id", "created_at"])
    .execute();

  await db.schema
    .createTable("gateway_requests")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("key_id", "text")
    .addColumn("team_id", "text")
    .addColumn("request_id", "text", (c) => c.notNull())
    .addColumn("method", "text", (c) => c.notNull())
    .addColumn("server", "text")
    .addColumn("tool", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("error_class", "text")
    .addColumn("latency_ms", "double precision", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("gateway_requests_team_created")
    .on("gateway_requests")
    .columns(["team_id", "created_at"])
    .execute();
  await db.schema
    .createIndex("gateway_requests_created")
    .on("gateway_requests")
    .column("created_at")
    .execute();
}
