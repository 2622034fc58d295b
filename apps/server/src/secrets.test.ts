// Embedded-mode secrets: generated once, owner-only, reused, and agreed on by processes starting together.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { StatementSigner } from "./registry/signing.js";
import { loadSecrets } from "./secrets.js";

const run = promisify(execFile);
const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), "mogplex-secrets-"));
  dirs.push(d);
  return join(d, "data");
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("loadSecrets (embedded)", () => {
  it("generates every secret once into a 0600 file in a 0700 dir and reuses it", () => {
    const dataDir = fresh();
    const a = loadSecrets(loadConfig({ MOGPLEX_DATA_DIR: dataDir }));
    const b = loadSecrets(loadConfig({ MOGPLEX_DATA_DIR: dataDir }));
    expect(b).toEqual(a);
    expect(a.authSecret.length).toBeGreaterThanOrEqual(32);
    expect(new Set([a.authSecret, a.signingSecret, a.encryptionKey]).size).toBe(3);
    expect(statSync(join(dataDir, "secrets.json")).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  });

  it("lets the environment win without writing it to disk", () => {
    const dataDir = fresh();
    const env = { MOGPLEX_DATA_DIR: dataDir, MOGPLEX_AUTH_SECRET: "e".repeat(40) };
    expect(loadSecrets(loadConfig(env)).authSecret).toBe("e".repeat(40));
    expect(readFileSync(join(dataDir, "secrets.json"), "utf8")).not.toContain("e".repeat(40));
  });

  it("gives processes that start together on a fresh data dir the same secrets", async () => {
    const dataDir = fresh();
    const script = `
      const { loadConfig } = await import(${JSON.stringify(fileURLToPath(new URL("../dist/config.js", import.meta.url)))});
      const { loadSecrets } = await import(${JSON.stringify(fileURLToPath(new URL("../dist/secrets.js", import.meta.url)))});
      const config = loadConfig({ MOGPLEX_DATA_DIR: process.argv[1] });
      // Line every process up on the same instant so their first-start checks overlap.
      const at = Number(process.argv[2]);
      while (Date.now() < at) {}
      process.stdout.write(loadSecrets(config).authSecret);`;
    const at = String(Date.now() + 4000);
    const outs = await Promise.all(
      Array.from({ length: 8 }, () =>
        run(process.execPath, ["--input-type=module", "-e", script, dataDir, at]),
      ),
    );
    const seen = new Set(outs.map((o) => o.stdout));
    expect(seen.size).toBe(1);
    expect(JSON.parse(readFileSync(join(dataDir, "secrets.json"), "utf8")).authSecret).toBe([...seen][0]);
  });
});

describe("the registry's keys", () => {
  it("are generated into secrets.json in embedded mode: a usable Ed25519 seed and an HMAC key", () => {
    const dataDir = fresh();
    const a = loadSecrets(loadConfig({ MOGPLEX_DATA_DIR: dataDir }));
    expect(Buffer.from(a.registrySigningKey, "base64")).toHaveLength(32);
    expect(a.registryUrlSecret.length).toBeGreaterThanOrEqual(32);
    expect(new Set([a.registrySigningKey, a.registryUrlSecret, a.signingSecret]).size).toBe(3);
    const stored = JSON.parse(readFileSync(join(dataDir, "secrets.json"), "utf8"));
    expect(stored).toMatchObject({
      registrySigningKey: a.registrySigningKey,
      registryUrlSecret: a.registryUrlSecret,
    });
    expect(new StatementSigner(a.registrySigningKey).keyId).toMatch(/^[0-9a-f]{16}$/);
  });

  it("are required from the environment with DATABASE_URL, and a signing key that is not a 32-byte seed is refused", () => {
    const env = {
      MOGPLEX_DATA_DIR: fresh(),
      DATABASE_URL: "postgres://x@127.0.0.1/none",
      MOGPLEX_ENCRYPTION_KEY: "k".repeat(40),
      MOGPLEX_SIGNING_SECRET: "s".repeat(40),
      MOGPLEX_AUTH_SECRET: "a".repeat(40),
    };
    expect(() => loadSecrets(loadConfig(env))).toThrow(
      "missing MOGPLEX_REGISTRY_SIGNING_KEY, MOGPLEX_REGISTRY_URL_SECRET: required when DATABASE_URL is set",
    );
    expect(() => loadConfig({ ...env, MOGPLEX_REGISTRY_SIGNING_KEY: "too-short" })).toThrow(
      "MOGPLEX_REGISTRY_SIGNING_KEY",
    );
  });
});
