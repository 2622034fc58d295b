// Re-seals every stored credential under the current encryption key; a dry run (the default) writes nothing.
import type { Kysely } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import type { Dialect } from "../db/connect.js";
import type { DB } from "../db/schema.js";
import { EnvelopeError, type Keyring } from "../security/envelope.js";
import { sealedContext } from "./service.js";

export interface RotationReport {
  applied: boolean;
  currentKeyId: string;
  /** Sealed values found, by the key id that sealed them. */
  byKeyId: Record<string, number>;
  /** Values that were (or, in a dry run, would be) re-sealed. */
  resealed: number;
  /** Every value decrypted, re-encrypted and decrypted again to the same plaintext. */
  verified: number;
}

const FIELDS = [
  ["headers_enc", "headers"],
  ["env_enc", "env"],
] as const;

export class RotationError extends Error {}

/**
 * Walks every sealed value inside one transaction: opens it with whichever configured key sealed it,
 * seals it again under the current key and proves the new envelope opens to the same plaintext before
 * anything is written. Any failure aborts the whole pass, so the database never holds a half-rotated set.
 */
export async function rotateSealedValues(
  db: Kysely<DB>,
  dialect: Dialect,
  keyring: Keyring,
  audit: AuditLog,
  ctx: AuditContext,
  opts: { apply: boolean },
): Promise<RotationReport> {
  const report: RotationReport = {
    applied: opts.apply,
    currentKeyId: keyring.currentKeyId,
    byKeyId: {},
    resealed: 0,
    verified: 0,
  };
  const pass = async (trx: Kysely<DB>) => {
    let q = trx.selectFrom("connections").select(["id", "team_id", "headers_enc", "env_enc"]).orderBy("id");
    if (dialect === "postgres") q = q.forUpdate();
    const rows = await q.execute();
    for (const row of rows) {
      const update: { headers_enc?: string; env_enc?: string } = {};
      for (const [column, field] of FIELDS) {
        const sealed = row[column];
        if (sealed === null) continue;
        const context = sealedContext(row.id, field);
        let keyId: string;
        let plain: string;
        try {
          keyId = keyring.keyIdOf(sealed);
          plain = keyring.decrypt(sealed, context);
        } catch (err) {
          const why = err instanceof EnvelopeError ? err.message : "unreadable";
          throw new RotationError(`connection ${row.id} ${field}: ${why}; nothing was changed`);
        }
        report.byKeyId[keyId] = (report.byKeyId[keyId] ?? 0) + 1;
        const next = keyId === keyring.currentKeyId ? sealed : keyring.encrypt(plain, context);
        if (keyring.decrypt(next, context) !== plain) {
          throw new RotationError(`connection ${row.id} ${field}: round trip failed; nothing was changed`);
        }
        report.verified++;
        if (next !== sealed) {
          update[column] = next;
          report.resealed++;
        }
      }
      if (opts.apply && Object.keys(update).length > 0) {
        await trx.updateTable("connections").set(update).where("id", "=", row.id).execute();
      }
    }
    if (opts.apply) {
      await audit.append(trx, ctx, {
        teamId: null,
        action: "encryption_key.rotated",
        targetType: "encryption_key",
        targetId: keyring.currentKeyId,
        payload: { resealed: report.resealed, verified: report.verified, byKeyId: report.byKeyId },
      });
    }
  };
  await db.transaction().execute(pass);
  return report;
}
