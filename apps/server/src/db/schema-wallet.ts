// Kysely table types of the registry wallet (migration 0011_wallet): ledger, lock rows, spend policies, approvals.

/** Milliseconds since the epoch (bigint). */
type Ms = number;

export type LedgerKind = "topup" | "purchase" | "refund";
export type ApprovalStatus = "pending" | "approved" | "denied" | "consumed";

export interface WalletsTable {
  team_id: string;
  created_at: Ms;
}

/** Append-only; amount_cents is signed (top-up, refund > 0; purchase < 0). */
export interface WalletLedgerTable {
  id: string;
  team_id: string;
  kind: LedgerKind;
  amount_cents: number;
  /** Namespaced: `topup:<Idempotency-Key>`, `purchase:<key>`, `refund:<entry id>`; unique per team. */
  idempotency_key: string;
  request_hash: string;
  /** What it was for: the listing name of a purchase, the provider of a top-up, the refunded entry. */
  reference: string;
  provider_ref: string | null;
  token_id: string | null;
  user_id: string | null;
  approval_id: string | null;
  created_at: Ms;
}

export interface SpendPoliciesTable {
  token_id: string;
  team_id: string;
  max_per_purchase_cents: number | null;
  daily_limit_cents: number | null;
  monthly_limit_cents: number | null;
  require_approval_above_cents: number | null;
  vendor_allowlist: string | null; // JSON array; null = any vendor
  blocked_types: string; // JSON array
  on_limit: "block" | "approval";
  active: number; // 0 | 1
  updated_by: string | null;
  created_at: Ms;
  updated_at: Ms;
}

export interface SpendApprovalsTable {
  id: string;
  team_id: string;
  token_id: string;
  user_id: string;
  listing: string;
  vendor: string;
  type: string;
  amount_cents: number;
  reason: "above_threshold" | "daily_limit" | "monthly_limit";
  status: ApprovalStatus;
  created_at: Ms;
  expires_at: Ms;
  decided_at: Ms | null;
  decided_by: string | null;
  consumed_at: Ms | null;
  ledger_entry_id: string | null;
}

export interface WalletTables {
  wallets: WalletsTable;
  wallet_ledger: WalletLedgerTable;
  spend_policies: SpendPoliciesTable;
  spend_approvals: SpendApprovalsTable;
}
