// The audit hash chain: each row's hash covers the previous hash and the row's canonical JSON.
import { sha256Hex } from "../security/random.js";

export const GENESIS_HASH = "0".repeat(64);

export interface ChainedFields {
  seq: number;
  id: string;
  team_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  auth_source: string | null;
  payload: string;
  created_at: number;
}

/** Stable JSON: keys sorted, so the hash never depends on property order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function rowHash(prevHash: string, row: ChainedFields): string {
  const fields: ChainedFields = {
    seq: Number(row.seq),
    id: row.id,
    team_id: row.team_id,
    actor_type: row.actor_type,
    actor_id: row.actor_id,
    action: row.action,
    target_type: row.target_type,
    target_id: row.target_id,
    request_id: row.request_id,
    ip: row.ip,
    user_agent: row.user_agent,
    auth_source: row.auth_source,
    payload: row.payload,
    created_at: Number(row.created_at),
  };
  return sha256Hex(`${prevHash}\n${canonicalJson(fields)}`);
}

export interface ChainRow extends ChainedFields {
  prev_hash: string;
  hash: string;
}

export type VerifyResult =
  | { ok: true; rows: number }
  | { ok: false; rows: number; brokenSeq: number; brokenId: string; reason: string };

/** Walks rows in seq order; reports the first row whose link or content no longer matches. */
export function verifyChain(
  rows: Iterable<ChainRow>,
  start: { prevHash: string; count: number } = { prevHash: GENESIS_HASH, count: 0 },
): VerifyResult {
  let prev = start.prevHash;
  let n = start.count;
  for (const row of rows) {
    n++;
    if (row.prev_hash !== prev) {
      return {
        ok: false,
        rows: n,
        brokenSeq: Number(row.seq),
        brokenId: row.id,
        reason: "previous-hash link does not match",
      };
    }
    if (rowHash(prev, row) !== row.hash) {
      return {
        ok: false,
        rows: n,
        brokenSeq: Number(row.seq),
        brokenId: row.id,
        reason: "row content does not match its hash",
      };
    }
    prev = row.hash;
  }
  return { ok: true, rows: n };
}
