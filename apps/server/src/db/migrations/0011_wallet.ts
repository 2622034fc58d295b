// The registry's wallet: a per-team lock row, the append-only ledger (the balance is its sum), per-token spend
// policies and the approvals a team owner decides.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  // One row per team that has ever used its wallet: what a charge or top-up locks (FOR UPDATE on PostgreSQL).
  await db.schema
    .createTable("wallets")
    .addColumn("team_id", "text", (c) => c.primaryKey().references("teams.id"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  // Append-only: rows are inserted, never updated or deleted. amount_cents is signed (top-up and refund > 0,
  // purchase < 0); the balance is sum(amount_cents) for the team.
  await db.schema
    .createTable("wallet_ledger")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("amount_cents", "bigint", (c) => c.notNull())
    .addColumn("idempotency_key", "text", (c) => c.notNull())
    .addColumn("request_hash", "text", (c) => c.notNull())
    .addColumn("reference", "text", (c) => c.notNull())
    .addColumn("provider_ref", "text")
    .addColumn("token_id", "text")
    .addColumn("user_id", "text")
    .addColumn("approval_id", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("wallet_ledger_team_key", ["team_id", "idempotency_key"])
    .execute();
  await db.schema
    .createIndex("wallet_ledger_team_created")
    .on("wallet_ledger")
    .columns(["team_id", "created_at"])
    .execute();
  await db.schema
    .createIndex("wallet_ledger_token_created")
    .on("wallet_ledger")
    .columns(["token_id", "created_at"])
    .execute();

  await db.schema
    .createTable("spend_policies")
    .addColumn("token_id", "text", (c) => c.primaryKey().references("personal_access_tokens.id"))
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("max_per_purchase_cents", "bigint")
    .addColumn("daily_limit_cents", "bigint")
    .addColumn("monthly_limit_cents", "bigint")
    .addColumn("require_approval_above_cents", "bigint")
    .addColumn("vendor_allowlist", "text") // JSON array of vendor slugs; null = any vendor
    .addColumn("blocked_types", "text", (c) => c.notNull()) // JSON array of package types
    .addColumn("on_limit", "text", (c) => c.notNull()) // "block" | "approval": over a daily/monthly limit
    .addColumn("active", "integer", (c) => c.notNull())
    .addColumn("updated_by", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("spend_approvals")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("token_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("listing", "text", (c) => c.notNull())
    .addColumn("vendor", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("amount_cents", "bigint", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("decided_at", "bigint")
    .addColumn("decided_by", "text")
    .addColumn("consumed_at", "bigint")
    .addColumn("ledger_entry_id", "text")
    .execute();
  await db.schema
    .createIndex("spend_approvals_team_created")
    .on("spend_approvals")
    .columns(["team_id", "created_at"])
    .execute();
  await db.schema
    .createIndex("spend_approvals_token_listing")
    .on("spend_approvals")
    .columns(["token_id", "listing", "status"])
    .execute();
}
