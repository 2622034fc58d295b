// Secrets at rest: a planted credential is unreadable in the database, and survives an encryption key rotation.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminError } from "../admin/commands.js";
import { addMcpServer, createGatewayKey, rotateEncryptionKey } from "../admin/gateway.js";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { Keyring } from "../security/envelope.js";
import { createHarness, type Harness, type TestUser } from "../test-support/harness.js";
import { wire } from "../wiring.js";

const PG_URL = () => process.env.MOGPLEX_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

describe("credentials at rest", () => {
  let h: Harness;
  let owner: TestUser;
  let baseEnv: Record<string, string>;
  const plantedHeader = `planted-credential-${randomBytes(8).toString("hex")}`;
  const plantedEnv = `planted-env-${randomBytes(8).toString("hex")}`;
  const oldKey = () => h.s.config.secrets.encryptionKey as string;
  const newKey = randomBytes(32).toString("base64url");

  /** The raw stored bytes: the SQLite file (after a checkpoint, plus any WAL) or PostgreSQL's rows as text. */
  const rawStorage = async (): Promise<string> => {
    if (h.dialect === "sqlite") {
      h.s.db.sqlite?.pragma("wal_checkpoint(TRUNCATE)");
      const file = join(h.dataDir, "mogplex.db");
      const parts = [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f).toString("latin1"));
      return parts.join("\n");
    }
    const rows = await sql<{ t: string }>`select connections::text as t from connections`.execute(h.s.db.db);
    return rows.rows.map((r) => r.t).join("\n");
  };
  const sealedColumns = async () =>
    h.s.db.db.selectFrom("connections").select(["id", "headers_enc", "env_enc"]).orderBy("id").execute();

  beforeAll(async () => {
    h = await createHarness();
    owner = await h.user();
    const secrets = h.s.config.secrets;
    baseEnv = {
      MOGPLEX_DATA_DIR: h.dataDir,
      MOGPLEX_LOG_LEVEL: "silent",
      MOGPLEX_ENCRYPTION_KEY: secrets.encryptionKey as string,
      MOGPLEX_SIGNING_SECRET: secrets.signingSecret as string,
      MOGPLEX_AUTH_SECRET: secrets.authSecret as string,
      MOGPLEX_REGISTRY_SIGNING_KEY: secrets.registrySigningKey as string,
      MOGPLEX_REGISTRY_URL_SECRET: secrets.registryUrlSecret as string,
    };
    if (h.dialect === "postgres") {
      const schema =
        (await sql<{ s: string }>`select current_schema() as s`.execute(h.s.db.db)).rows[0]?.s ?? "";
      baseEnv.DATABASE_URL = `${PG_URL()}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    }
    // Through the operator command, as documented.
    const a = await addMcpServer(
      baseEnv,
      {},
      {
        team: owner.team,
        name: "remote",
        url: "https://remote.example/mcp",
        header: [`Authorization=Bearer ${plantedHeader}`],
      },
    );
    const b = await addMcpServer(
      baseEnv,
      {},
      {
        team: owner.team,
        name: "local",
        command: "cat",
        arg: ["--stdio"],
        env: [`API_TOKEN=${plantedEnv}`],
      },
    );
    expect([a, b].every((id) => /^[0-9a-f-]{36}$/.test(id))).toBe(true);
  });
  afterAll(async () => {
    await h?.close();
  });

  it("never stores a credential in readable form", async () => {
    const raw = await rawStorage();
    expect(raw).toContain("remote.example"); // the search itself works: non-secret fields are there
    expect(raw).toContain("API_TOKEN"); // names are kept readable for listings
    expect(raw).not.toContain(plantedHeader);
    expect(raw).not.toContain(plantedEnv);
    const keyId = new Keyring(oldKey()).currentKeyId;
    for (const row of await sealedColumns()) {
      for (const v of [row.headers_enc, row.env_enc].filter((x): x is string => x !== null)) {
        expect(v.startsWith(`v1.${keyId}.`)).toBe(true);
      }
    }
  });

  it("rotate-encryption-key: dry run by default, refuses without the old key, re-seals on --apply, survives", async () => {
    const before = await sealedColumns();
    const rotating = {
      ...baseEnv,
      MOGPLEX_ENCRYPTION_KEY: newKey,
      MOGPLEX_ENCRYPTION_KEY_PREVIOUS: oldKey(),
    };

    const dry = await rotateEncryptionKey(rotating, {}, {});
    expect(dry).toContain("2 verified by round trip");
    expect(dry).toContain("dry run: 2 value(s) would be re-sealed");
    expect(await sealedColumns()).toEqual(before);

    // Without the previous key nothing can be opened: refused, nothing written.
    const withoutOld = { ...baseEnv, MOGPLEX_ENCRYPTION_KEY: newKey };
    await expect(rotateEncryptionKey(withoutOld, {}, { apply: true })).rejects.toThrow(AdminError);
    await expect(rotateEncryptionKey(withoutOld, {}, { apply: true })).rejects.toThrow(
      /not configured; nothing was changed/,
    );
    expect(await sealedColumns()).toEqual(before);

    const applied = await rotateEncryptionKey(rotating, {}, { apply: true });
    expect(applied).toContain("re-sealed 2 value(s)");
    const after = await sealedColumns();
    const newId = new Keyring(newKey).currentKeyId;
    for (const row of after) {
      for (const v of [row.headers_enc, row.env_enc].filter((x): x is string => x !== null)) {
        expect(v.startsWith(`v1.${newId}.`)).toBe(true);
      }
    }
    expect(await rotateEncryptionKey(rotating, {}, { apply: true })).toContain("re-sealed 0 value(s)");

    // Readable with the new key alone, and the plaintext is what was planted.
    const fresh = await wire({
      config: loadConfig(withoutOld),
      logger: createLogger("silent"),
      migrate: false,
    });
    try {
      const { servers } = await fresh.connections.resolvedMcp(owner.teamId, { limit: 100 });
      expect(servers.find((s) => s.name === "remote")?.headers).toEqual({
        Authorization: `Bearer ${plantedHeader}`,
      });
      expect(servers.find((s) => s.name === "local")?.env).toEqual({ API_TOKEN: plantedEnv });
    } finally {
      await fresh.close();
    }
    // The old key alone can no longer read them.
    const stale = new Keyring(oldKey());
    expect(() => stale.decrypt(after[0]?.headers_enc ?? after[0]?.env_enc ?? "", "x")).toThrow(
      /not configured/,
    );
    const raw = await rawStorage();
    expect(raw).not.toContain(plantedHeader);
    expect(raw).not.toContain(plantedEnv);
    const audit = await h.s.db.db
      .selectFrom("audit_events")
      .selectAll()
      .where("action", "=", "encryption_key.rotated")
      .execute();
    expect(audit.length).toBe(2);
    expect(audit[0]?.auth_source).toBe("admin-cli");
  });

  it("create-gateway-key prints only a working key", async () => {
    const out = await createGatewayKey(baseEnv, {}, { email: owner.email, name: "cli", servers: "remote" });
    expect(out).toMatch(/^pmcp_01[0-9a-f]{80}$/);
    const principal = await h.s.gateway.keys.authenticate(out);
    expect(principal?.servers).toEqual(["remote"]);
    await expect(
      createGatewayKey(baseEnv, {}, { email: owner.email, name: "x", tools: "bad" }),
    ).rejects.toThrow(AdminError);
    await expect(createGatewayKey(baseEnv, {}, { email: "nobody@example.test", name: "x" })).rejects.toThrow(
      /no user/,
    );
  });
});
