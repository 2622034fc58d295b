// Kysely table types of account-backed model access (migration 0017_llm_usage): usage rows and team budgets.

/** Milliseconds since the epoch (bigint). */
type Ms = number;

/** One request through the model endpoint; written once it ends (completed, failed upstream or aborted). */
export interface LlmUsageTable {
  id: string;
  team_id: string;
  user_id: string;
  token_id: string;
  /** provider/model as requested. */
  model: string;
  input_tokens: number;
  output_tokens: number;
  /** Cost in millionths of a USD from the built-in price table; 0 when it does not know the model. */
  cost_micro_usd: number;
  /** 1 when the price table knew the model. */
  priced: number;
  /** `ok`, `error` (the upstream failed) or `aborted` (the client went away). */
  outcome: string;
  created_at: Ms;
}

export interface TeamLlmBudgetsTable {
  team_id: string;
  /** Millionths of a USD per calendar month (UTC). */
  monthly_budget_micro_usd: number;
  updated_by: string | null;
  updated_at: Ms;
}

export interface LlmTables {
  llm_usage: LlmUsageTable;
  team_llm_budgets: TeamLlmBudgetsTable;
}
