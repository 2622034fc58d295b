// The audit hash chain and payload redaction, against the real database: clean logs verify, edits and
// deletions are pinned to the row where the chain breaks.

import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";
import {
  type ChainRow,
  canonicalJson,
  GENESIS_HASH,
  rowHash,
  type VerifyResult,
  verifyChain,
} from "./chain.js";
import type { AuditContext, AuditEntry } from "./store.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const ctx: AuditContext = {
  actorType: "system",
  actorId: null,
  requestId: "req-chain-test",
  authSource: "system",
};
const append = (entry: Partial<AuditEntry> = {}) =>
  h.s.db.db
    .transaction()
    .execute((trx) => h.s.audit.append(trx, ctx, { teamId: null, action: "test.event", ...entry }));
const lastRows = async (n: number) =>
  (
    await h.s.db.db.selectFrom("audit_events").selectAll().orderBy("seq", "desc").limit(n).execute()
  ).reverse();
const verify = () => h.s.audit.verify(h.s.db.db);

/** Runs `tamper` on a fresh stretch of log, checks what verify reports, then restores the rows it saved. */
async function withTampering(
  tamper: (rows: Awaited<ReturnType<typeof lastRows>>) => Promise<void>,
): Promise<VerifyResult & { tampered: Awaited<ReturnType<typeof lastRows>> }> {
  for (let i = 0; i < 5; i++) await append({ payload: { n: i } });
  const rows = await lastRows(5);
  await tamper(rows);
  const result = await verify();
  // Put the log back so later tests start from a clean chain.
  for (const r of rows) {
    await h.s.db.db.deleteFrom("audit_events").where("seq", "=", r.seq).execute();
    await h.s.db.db.insertInto("audit_events").values(r).execute();
  }
  expect((await verify()).ok).toBe(true);
  return { ...result, tampered: rows };
}

describe("audit chain", () => {
  it("links every row to the previous one and verifies a clean log", async () => {
    for (let i = 0; i < 4; i++) await append({ payload: { i } });
    const rows = await lastRows(4);
    for (let i = 1; i < rows.length; i++) {
      expect(Number(rows[i]?.seq)).toBe(Number(rows[i - 1]?.seq) + 1);
      expect(rows[i]?.prev_hash).toBe(rows[i - 1]?.hash);
    }
    const first = (
      await h.s.db.db.selectFrom("audit_events").selectAll().orderBy("seq", "asc").limit(1).execute()
    )[0];
    expect(first?.prev_hash).toBe(GENESIS_HASH);
    const r = await verify();
    expect(r.ok).toBe(true);
    const count = await h.s.db.db
      .selectFrom("audit_events")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirst();
    expect(r.rows).toBe(Number(count?.n));
  });

  it("reports exactly the row whose payload was edited", async () => {
    const r = await withTampering(async (rows) => {
      await h.s.db.db
        .updateTable("audit_events")
        .set({ payload: '{"n":99}' })
        .where("seq", "=", rows[2]?.seq as number)
        .execute();
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.brokenSeq).toBe(Number(r.tampered[2]?.seq));
    expect(r.brokenId).toBe(r.tampered[2]?.id);
    expect(r.reason).toMatch(/content/);
  });

  it("reports an edit to any chained column, e.g. the actor", async () => {
    const r = await withTampering(async (rows) => {
      await h.s.db.db
        .updateTable("audit_events")
        .set({ actor_id: "someone-else" })
        .where("seq", "=", rows[1]?.seq as number)
        .execute();
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.brokenId).toBe(r.tampered[1]?.id);
  });

  it("reports a deleted middle row at the row after it", async () => {
    const r = await withTampering(async (rows) => {
      await h.s.db.db
        .deleteFrom("audit_events")
        .where("seq", "=", rows[2]?.seq as number)
        .execute();
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.brokenSeq).toBe(Number(r.tampered[3]?.seq));
    expect(r.brokenId).toBe(r.tampered[3]?.id);
    expect(r.reason).toMatch(/previous/);
  });

  it("is not fooled by recomputing the edited row's own hash", async () => {
    const r = await withTampering(async (rows) => {
      const row = rows[1] as unknown as ChainRow;
      const forged = { ...row, payload: '{"n":"forged"}' };
      await h.s.db.db
        .updateTable("audit_events")
        .set({ payload: forged.payload, hash: rowHash(row.prev_hash, forged) })
        .where("seq", "=", row.seq)
        .execute();
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.brokenId).toBe(r.tampered[2]?.id);
  });

  it("finds a break beyond the first verification batch", async () => {
    await h.s.db.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 1005; i++)
        await h.s.audit.append(trx, ctx, { teamId: null, action: "test.bulk", payload: { i } });
    });
    expect((await verify()).ok).toBe(true);
    const r = await withTampering(async (rows) => {
      await sql`update audit_events set action = 'test.edited' where seq = ${rows[4]?.seq}`.execute(
        h.s.db.db,
      );
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.brokenId).toBe(r.tampered[4]?.id);
  });

  it("keeps one unbroken chain under concurrent appends", async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => append({ action: "test.concurrent", payload: { i } })),
    );
    const rows = await h.s.db.db
      .selectFrom("audit_events")
      .select("seq")
      .where("action", "=", "test.concurrent")
      .execute();
    expect(new Set(rows.map((r) => Number(r.seq))).size).toBe(20);
    expect((await verify()).ok).toBe(true);
  });
});

describe("audit payload redaction", () => {
  it("redacts prompt, token, password and key-like fields, and truncates deep nesting", async () => {
    await append({
      action: "test.redaction",
      payload: {
        password: "hunter2-hunter2",
        token: "opaque-value-1",
        prompt: "refactor the billing module",
        nested: { apiKey: "k-123", clientSecret: "s-456", fine: "visible" },
        note: "uses mog_abcdefghijklmnopqrstuvwxyz012345 inline",
        deep: { a: { b: { c: { d: { e: { f: { g: "too deep" } } } } } } },
        promptTokens: 42,
      },
    });
    const row = (await lastRows(1))[0];
    const p = JSON.parse(row?.payload ?? "{}") as Record<string, unknown>;
    expect(p.password).toBe("[redacted]");
    expect(p.token).toBe("[redacted]");
    expect(p.prompt).toBe("[redacted]");
    expect(p.nested).toEqual({ apiKey: "[redacted]", clientSecret: "[redacted]", fine: "visible" });
    expect(p.promptTokens).toBe(42);
    const raw = row?.payload ?? "";
    for (const s of [
      "hunter2-hunter2",
      "opaque-value-1",
      "refactor the billing",
      "k-123",
      "s-456",
      "mog_abcdefghij",
      "too deep",
    ])
      expect(raw).not.toContain(s);
    expect(raw).toContain("[truncated]");
    expect((await verify()).ok).toBe(true);
  });
});

describe("chain primitives", () => {
  const base: ChainRow = {
    seq: 1,
    id: "a",
    team_id: null,
    actor_type: "system",
    actor_id: null,
    action: "x.y",
    target_type: null,
    target_id: null,
    request_id: null,
    ip: null,
    user_agent: null,
    auth_source: null,
    payload: "{}",
    created_at: 1,
    prev_hash: GENESIS_HASH,
    hash: "",
  };
  base.hash = rowHash(GENESIS_HASH, base);

  it("hashes canonically, independent of key order and of string-typed numbers from the driver", () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] })).toBe('{"a":[2,{"c":4,"d":3}],"b":1}');
    expect(
      rowHash(GENESIS_HASH, { ...base, seq: "1" as unknown as number, created_at: "1" as unknown as number }),
    ).toBe(base.hash);
  });

  it("changes the hash when any chained field or the previous hash changes", () => {
    const fields = [
      "id",
      "team_id",
      "actor_type",
      "actor_id",
      "action",
      "target_type",
      "target_id",
      "request_id",
      "ip",
      "user_agent",
      "auth_source",
      "payload",
    ] as const;
    for (const f of fields) expect(rowHash(GENESIS_HASH, { ...base, [f]: "changed" })).not.toBe(base.hash);
    expect(rowHash(GENESIS_HASH, { ...base, seq: 2 })).not.toBe(base.hash);
    expect(rowHash(GENESIS_HASH, { ...base, created_at: 2 })).not.toBe(base.hash);
    expect(rowHash("f".repeat(64), base)).not.toBe(base.hash);
    expect(verifyChain([base])).toEqual({ ok: true, rows: 1 });
    expect(verifyChain([{ ...base, hash: "0".repeat(64) }])).toMatchObject({ ok: false, brokenSeq: 1 });
  });
});
