// End-to-end: `mogplex admin wallet-topup` as separate processes on one database (the SQLite file, or a fresh
// PostgreSQL database with MOGPLEX_TEST_DB=postgres): parallel runs with one idempotency key add money once.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, cleanup, ensureBuilt, lines, runCli, tempDir } from "./support.js";

const PG_URL = process.env.MOGPLEX_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const postgres = process.env.MOGPLEX_TEST_DB === "postgres";
const database = `mogplex_wallet_${randomBytes(6).toString("hex")}`;
const SECRETS = [
  "MOGPLEX_ENCRYPTION_KEY",
  "MOGPLEX_SIGNING_SECRET",
  "MOGPLEX_AUTH_SECRET",
  "MOGPLEX_REGISTRY_SIGNING_KEY",
  "MOGPLEX_REGISTRY_URL_SECRET",
];

let env: Record<string, string>;
let dataDir: string;
let dbUrl: string | undefined;

async function pgQuery<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

async function ledger(): Promise<Array<{ amount_cents: number; team_id: string }>> {
  const q = "select amount_cents, team_id from wallet_ledger";
  if (dbUrl)
    return (await pgQuery<{ amount_cents: string; team_id: string }>(dbUrl, q)).map((r) => ({
      ...r,
      amount_cents: Number(r.amount_cents),
    }));
  const db = new Database(join(dataDir, "mogplex.db"), { readonly: true });
  try {
    return db.prepare(q).all() as Array<{ amount_cents: number; team_id: string }>;
  } finally {
    db.close();
  }
}

const admin = (args: string[], input?: string) =>
  runCli(["admin", ...args, ...(dbUrl ? [] : ["--data-dir", dataDir])], { env, input });

beforeAll(async () => {
  ensureBuilt();
  const home = tempDir();
  dataDir = join(home, "data");
  env = cleanEnv(home);
  if (postgres) {
    await pgQuery(PG_URL, `create database ${database}`);
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    dbUrl = url.toString();
    env.DATABASE_URL = dbUrl;
    for (const name of SECRETS) env[name] = randomBytes(32).toString("base64url");
  }
  const r = await admin(
    ["create-user", "--email", "owner@example.test", "--team", "acme"],
    "correct horse battery staple\n",
  );
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  cleanup();
  if (dbUrl) await pgQuery(PG_URL, `drop database if exists ${database} with (force)`);
}, 60_000);

describe("mogplex admin wallet-topup", { timeout: 120_000 }, () => {
  it("parallel runs with one idempotency key write one ledger entry", async () => {
    const runs = await Promise.all(
      Array.from({ length: 5 }, () =>
        admin([
          "wallet-topup",
          "--team",
          "acme",
          "--amount-cents",
          "2500",
          "--idempotency-key",
          "invoice-17",
        ]),
      ),
    );
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(lines(r.stdout)).toHaveLength(1);
      expect(r.stdout).toMatch(/balance \$25\.00, entry [0-9a-f-]{36}/);
    }
    expect(runs.filter((r) => r.stdout.includes("topped up by $25.00"))).toHaveLength(1);
    expect(runs.filter((r) => r.stdout.includes("already recorded"))).toHaveLength(4);
    expect((await ledger()).map((e) => e.amount_cents)).toEqual([2500]);
  });

  it("refuses a bad amount, an unknown team and a reused key with another amount, in one line each", async () => {
    const [amount, range, team, reuse] = await Promise.all([
      admin(["wallet-topup", "--team", "acme", "--amount-cents", "12.5", "--idempotency-key", "a"]),
      admin(["wallet-topup", "--team", "acme", "--amount-cents", "5", "--idempotency-key", "b"]),
      admin(["wallet-topup", "--team", "nope", "--amount-cents", "500", "--idempotency-key", "c"]),
      admin(["wallet-topup", "--team", "acme", "--amount-cents", "3000", "--idempotency-key", "invoice-17"]),
    ]);
    const cases: Array<[typeof amount, RegExp]> = [
      [amount, /--amount-cents must be a whole number of cents/],
      [range, /amountCents must be an integer from 100 to 1000000/],
      [team, /no team with id or slug nope/],
      [reuse, /already used for a different top-up/],
    ];
    for (const [r, message] of cases) {
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(await ledger()).toHaveLength(1);
  });
});
