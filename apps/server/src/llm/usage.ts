// Usage of the model endpoint: one row per request (tokens, cost from the built-in price table), the team's
// optional monthly budget (USD, audited when changed) and the report the web app shows.
import type { LlmBudget, LlmUsage, LlmUsageRow } from "@mogplex/contract";
import { type Kysely, sql } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import type { Clock } from "../clock.js";
import type { DB } from "../db/schema.js";
import { costUsd, priceOf } from "../engine/models.js";
import { failure } from "../failure.js";
import { newId } from "../security/random.js";
import type { Outcome, TokenCounts } from "./relay.js";

const DAY_MS = 86_400_000;
const MICRO = 1_000_000;

export interface UsageRecord {
  teamId: string;
  userId: string;
  tokenId: string;
  model: string;
  usage: TokenCounts;
  outcome: Outcome;
}

/** First millisecond of the current calendar month (UTC). */
const monthStart = (now: number) => {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};
const usd = (micro: number) => Math.round(micro) / MICRO;

export class LlmUsageStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async record(r: UsageRecord): Promise<void> {
    const { input, output } = r.usage;
    await this.db
      .insertInto("llm_usage")
      .values({
        id: newId(),
        team_id: r.teamId,
        user_id: r.userId,
        token_id: r.tokenId,
        model: r.model,
        input_tokens: input,
        output_tokens: output,
        cost_micro_usd: Math.round(costUsd(r.model, input, output) * MICRO),
        priced: priceOf(r.model) ? 1 : 0,
        outcome: r.outcome,
        created_at: this.clock.now(),
      })
      .execute();
  }

  async budget(teamId: string): Promise<LlmBudget> {
    return this.budgetFor(teamId, await this.budgetRow(teamId));
  }

  private budgetRow(teamId: string) {
    return this.db
      .selectFrom("team_llm_budgets")
      .select("monthly_budget_micro_usd")
      .where("team_id", "=", teamId)
      .executeTakeFirst();
  }

  private async budgetFor(
    teamId: string,
    row: { monthly_budget_micro_usd: unknown } | undefined,
  ): Promise<LlmBudget> {
    const spent = await this.db
      .selectFrom("llm_usage")
      .select((eb) => eb.fn.sum<number | string | null>("cost_micro_usd").as("micro"))
      .where("team_id", "=", teamId)
      .where("created_at", ">=", monthStart(this.clock.now()))
      .executeTakeFirst();
    return {
      monthlyBudgetUsd: row ? usd(Number(row.monthly_budget_micro_usd)) : null,
      monthToDateUsd: usd(Number(spent?.micro ?? 0)),
    };
  }

  /** Throws BUDGET_EXCEEDED when the team has a budget and this month's recorded cost has reached it. */
  async checkBudget(teamId: string): Promise<void> {
    const row = await this.budgetRow(teamId);
    if (!row) return;
    const b = await this.budgetFor(teamId, row);
    if (b.monthlyBudgetUsd === null || b.monthToDateUsd < b.monthlyBudgetUsd) return;
    throw failure(
      "BUDGET_EXCEEDED",
      `This team's monthly model budget of $${b.monthlyBudgetUsd.toFixed(2)} is used up ` +
        `($${b.monthToDateUsd.toFixed(2)} this month). A team owner or admin can raise it in Settings → Usage.`,
    );
  }

  async setBudget(teamId: string, monthlyBudgetUsd: number | null, ctx: AuditContext): Promise<LlmBudget> {
    const before = await this.budget(teamId);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("team_llm_budgets").where("team_id", "=", teamId).execute();
      if (monthlyBudgetUsd !== null) {
        await trx
          .insertInto("team_llm_budgets")
          .values({
            team_id: teamId,
            monthly_budget_micro_usd: Math.round(monthlyBudgetUsd * MICRO),
            updated_by: ctx.actorId ?? null,
            updated_at: this.clock.now(),
          })
          .execute();
      }
      await this.audit.append(trx, ctx, {
        teamId,
        action: "team.llm_budget_updated",
        targetType: "team",
        targetId: teamId,
        payload: { from: before.monthlyBudgetUsd, to: monthlyBudgetUsd },
      });
    });
    return this.budget(teamId);
  }

  /** Usage per UTC day, member and model over the last `days` days; `userId` narrows it to one member. */
  async report(teamId: string, userId: string | null, days: number): Promise<LlmUsage> {
    const now = this.clock.now();
    const since = (Math.floor(now / DAY_MS) - (days - 1)) * DAY_MS;
    // An integer literal (not a parameter), so both engines divide as integers and group by the same text.
    const dayExpr = sql<number>`llm_usage.created_at / ${sql.lit(DAY_MS)}`;
    let q = this.db
      .selectFrom("llm_usage")
      .leftJoin("user", "user.id", "llm_usage.user_id")
      .select((eb) => [
        dayExpr.as("day"),
        "llm_usage.user_id as userId",
        "user.email as userEmail",
        "llm_usage.model as model",
        eb.fn.countAll<number | string>().as("requests"),
        eb.fn.sum<number | string>("llm_usage.input_tokens").as("input"),
        eb.fn.sum<number | string>("llm_usage.output_tokens").as("output"),
        eb.fn.sum<number | string>("llm_usage.cost_micro_usd").as("micro"),
      ])
      .where("llm_usage.team_id", "=", teamId)
      .where("llm_usage.created_at", ">=", since)
      .groupBy([dayExpr, "llm_usage.user_id", "user.email", "llm_usage.model"]);
    if (userId !== null) q = q.where("llm_usage.user_id", "=", userId);
    const rows: LlmUsageRow[] = (await q.execute()).map((r) => ({
      day: new Date(Number(r.day) * DAY_MS).toISOString().slice(0, 10),
      userId: r.userId,
      userEmail: r.userEmail ?? null,
      model: r.model,
      requests: Number(r.requests),
      inputTokens: Number(r.input),
      outputTokens: Number(r.output),
      costUsd: usd(Number(r.micro)),
    }));
    rows.sort((a, b) => (a.day === b.day ? a.model.localeCompare(b.model) : a.day < b.day ? 1 : -1));
    return { scope: userId === null ? "team" : "self", days, rows, budget: await this.budget(teamId) };
  }
}
