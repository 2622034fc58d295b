// Mogplex's own tables. Forward-only: never edit a shipped migration, add a new one.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("teams")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("slug", "text", (c) => c.notNull().unique())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("allowed_models", "text")
    .addColumn("default_model", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("team_members")
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("team_members_pk", ["team_id", "user_id"])
    .execute();
  await db.schema.createIndex("team_members_user").on("team_members").column("user_id").execute();

  await db.schema
    .createTable("invitations")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("invited_by", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("accepted_at", "bigint")
    .addColumn("accepted_by", "text")
    .addColumn("revoked_at", "bigint")
    .execute();
  await db.schema
    .createIndex("invitations_team")
    .on("invitations")
    .columns(["team_id", "created_at"])
    .execute();

  await db.schema
    .createTable("personal_access_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("prefix", "text", (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_used_at", "bigint")
    .addColumn("expires_at", "bigint")
    .addColumn("revoked_at", "bigint")
    .execute();
  await db.schema
    .createIndex("pat_user")
    .on("personal_access_tokens")
    .columns(["user_id", "created_at"])
    .execute();

  await db.schema
    .createTable("repos")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("full_name", "text", (c) => c.notNull())
    .addColumn("source_url", "text", (c) => c.notNull())
    .addColumn("default_branch", "text", (c) => c.notNull())
    .addColumn("root_directory", "text", (c) => c.notNull())
    .addColumn("install_command", "text")
    .addColumn("dev_command", "text")
    .addColumn("port", "integer")
    .addColumn("environment_source", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("repos_team_name", ["team_id", "full_name"])
    .execute();

  await db.schema
    .createTable("runs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("repo_id", "text", (c) => c.notNull().references("repos.id"))
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("harness", "text", (c) => c.notNull())
    .addColumn("model", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("prompt", "text", (c) => c.notNull())
    .addColumn("base_branch", "text", (c) => c.notNull())
    .addColumn("working_branch", "text")
    .addColumn("create_branch", "integer", (c) => c.notNull())
    .addColumn("root_directory", "text", (c) => c.notNull())
    .addColumn("sandbox_id", "text")
    .addColumn("agent_id", "text")
    .addColumn("error", "text")
    .addColumn("input_tokens", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("output_tokens", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("cost_usd", "double precision", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("started_at", "bigint")
    .addColumn("finished_at", "bigint")
    .execute();
  await db.schema
    .createIndex("runs_team_created")
    .on("runs")
    .columns(["team_id", "created_at", "id"])
    .execute();
  await db.schema.createIndex("runs_user_created").on("runs").columns(["user_id", "created_at"]).execute();

  await db.schema
    .createTable("run_events")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("run_id", "text", (c) => c.notNull().references("runs.id"))
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("tool_name", "text")
    .addColumn("message", "text")
    .addColumn("payload", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("run_events_run_seq", ["run_id", "seq"])
    .execute();

  await db.schema
    .createTable("sandboxes")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("repo_id", "text", (c) => c.notNull().references("repos.id"))
    .addColumn("run_id", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("base_branch", "text", (c) => c.notNull())
    .addColumn("working_branch", "text")
    .addColumn("root_directory", "text", (c) => c.notNull())
    .addColumn("preview_url", "text")
    .addColumn("stop_reason", "text")
    .addColumn("error", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_active_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("sandboxes_team_created")
    .on("sandboxes")
    .columns(["team_id", "created_at", "id"])
    .execute();

  await db.schema
    .createTable("idempotency_keys")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("request_hash", "text", (c) => c.notNull())
    .addColumn("resource_type", "text", (c) => c.notNull())
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("idempotency_keys_pk", ["user_id", "key"])
    .execute();
  await db.schema.createIndex("idempotency_created").on("idempotency_keys").column("created_at").execute();

  await db.schema
    .createTable("audit_events")
    .addColumn("seq", "bigint", (c) => c.primaryKey())
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("team_id", "text")
    .addColumn("actor_type", "text", (c) => c.notNull())
    .addColumn("actor_id", "text")
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("target_type", "text")
    .addColumn("target_id", "text")
    .addColumn("request_id", "text")
    .addColumn("ip", "text")
    .addColumn("user_agent", "text")
    .addColumn("auth_source", "text")
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("prev_hash", "text", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("audit_team_seq").on("audit_events").columns(["team_id", "seq"]).execute();

  await db.schema
    .createTable("setup_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("used_at", "bigint")
    .execute();

  await db.schema
    .createTable("user_security")
    .addColumn("user_id", "text", (c) => c.primaryKey())
    .addColumn("failed_2fa_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("locked_until", "bigint")
    .addColumn("deleted_at", "bigint")
    .execute();
}
