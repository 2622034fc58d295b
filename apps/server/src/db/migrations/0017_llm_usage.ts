// Account-backed model access: a usage row per request through the model endpoint, and each team's optional
// monthly budget for it.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("llm_usage")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("token_id", "text", (c) => c.notNull())
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("input_tokens", "bigint", (c) => c.notNull())
    .addColumn("output_tokens", "bigint", (c) => c.notNull())
    .addColumn("cost_micro_usd", "bigint", (c) => c.notNull())
    .addColumn("priced", "integer", (c) => c.notNull())
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("llm_usage_team_time")
    .on("llm_usage")
    .columns(["team_id", "created_at"])
    .execute();

  await db.schema
    .createTable("team_llm_budgets")
    .addColumn("team_id", "text", (c) => c.primaryKey().references("teams.id"))
    .addColumn("monthly_budget_micro_usd", "bigint", (c) => c.notNull())
    .addColumn("updated_by", "text")
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
}
