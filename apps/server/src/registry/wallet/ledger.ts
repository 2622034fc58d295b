// The append-only ledger: the per-team lock, the derived balance, entry listing, and the rows a top-up, a
// purchase or a refund appends. Callers hold a transaction; `lockWallet` serialises one team's writers.
import type { LedgerEntry } from "@mogplex/contract";
import { type Kysely, sql } from "kysely";
import { iso } from "../../clock.js";
import type { Dialect } from "../../db/connect.js";
import type { DB } from "../../db/schema.js";
import type { WalletLedgerTable } from "../../db/schema-wallet.js";
import { newId, sha256Hex } from "../../security/random.js";

/**
 * Takes the team's wallet lock until the transaction ends. SQLite transactions here are IMMEDIATE (one writer
 * at a time, across processes too); PostgreSQL locks the team's `wallets` row, created on first use.
 */
export async function lockWallet(trx: Kysely<DB>, dialect: Dialect, teamId: string, now: number) {
  await trx
    .insertInto("wallets")
    .values({ team_id: teamId, created_at: now })
    .onConflict((oc) => oc.column("team_id").doNothing())
    .execute();
  if (dialect === "postgres") {
    await trx.selectFrom("wallets").select("team_id").where("team_id", "=", teamId).forUpdate().execute();
  }
}

/** The team's balance in cents: the sum of its ledger. */
export async function balanceOf(db: Kysely<DB>, teamId: string): Promise<number> {
  const row = await db
    .selectFrom("wallet_ledger")
    .select(sql<string | number | null>`sum(amount_cents)`.as("total"))
    .where("team_id", "=", teamId)
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

/** Cents a token has spent (purchases less their refunds) since `since`. */
export async function spentSince(db: Kysely<DB>, tokenId: string, since: number): Promise<number> {
  const row = await db
    .selectFrom("wallet_ledger")
    .select(sql<string | number | null>`sum(amount_cents)`.as("total"))
    .where("token_id", "=", tokenId)
    .where("kind", "in", ["purchase", "refund"])
    .where("created_at", ">=", since)
    .executeTakeFirst();
  return -Number(row?.total ?? 0);
}

export async function findByKey(db: Kysely<DB>, teamId: string, key: string) {
  return db
    .selectFrom("wallet_ledger")
    .selectAll()
    .where("team_id", "=", teamId)
    .where("idempotency_key", "=", key)
    .executeTakeFirst();
}

export const requestHash = (parts: Record<string, unknown>) => sha256Hex(JSON.stringify(parts));

export type NewEntry = Omit<WalletLedgerTable, "id" | "created_at">;

export async function appendEntry(trx: Kysely<DB>, entry: NewEntry, now: number): Promise<WalletLedgerTable> {
  const row: WalletLedgerTable = { id: newId(), created_at: now, ...entry };
  await trx.insertInto("wallet_ledger").values(row).execute();
  return row;
}

export async function recentEntries(db: Kysely<DB>, teamId: string, limit: number) {
  const rows = await db
    .selectFrom("wallet_ledger")
    .selectAll()
    .where("team_id", "=", teamId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map(toEntry);
}

export function toEntry(r: WalletLedgerTable): LedgerEntry {
  return {
    id: r.id,
    kind: r.kind,
    amountCents: Number(r.amount_cents),
    reference: r.reference,
    tokenId: r.token_id,
    approvalId: r.approval_id,
    createdAt: iso(Number(r.created_at)),
  };
}

/** Start of the UTC day and UTC month holding `now` (what daily and monthly limits count from). */
export function windowStarts(now: number): { day: number; month: number } {
  const d = new Date(now);
  return {
    day: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()),
    month: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
  };
}

/** `1234` → `$12.34` (messages only). */
export const dollars = (cents: number) =>
  `$${Math.floor(cents / 100)}.${String(Math.abs(cents) % 100).padStart(2, "0")}`;
