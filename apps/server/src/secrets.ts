// Server secrets: from the environment, or (embedded mode only) generated once into <data-dir>/secrets.json.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./config.js";
import { ConfigError } from "./config.js";

export interface ServerSecrets {
  encryptionKey: string;
  signingSecret: string;
  authSecret: string;
}

const ENV_NAMES: Record<keyof ServerSecrets, string> = {
  encryptionKey: "MOGPLEX_ENCRYPTION_KEY",
  signingSecret: "MOGPLEX_SIGNING_SECRET",
  authSecret: "MOGPLEX_AUTH_SECRET",
};

export function loadSecrets(config: Config): ServerSecrets {
  const fromEnv = config.secrets;
  const keys = Object.keys(ENV_NAMES) as Array<keyof ServerSecrets>;
  if (config.databaseUrl) {
    // Replicas must agree on these, so scale-out never invents its own.
    const missing = keys.filter((k) => !fromEnv[k]).map((k) => ENV_NAMES[k]);
    if (missing.length > 0)
      throw new ConfigError(`missing ${missing.join(", ")}: required when DATABASE_URL is set`);
    return fromEnv as ServerSecrets;
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const file = join(config.dataDir, "secrets.json");
  let stored: Partial<ServerSecrets> = {};
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, "utf8")) as Partial<ServerSecrets>;
    } catch {
      throw new ConfigError(
        `cannot read ${file}: not valid JSON (restore it from a backup; sessions and secrets depend on it)`,
      );
    }
  }
  const merged = {} as ServerSecrets;
  let changed = false;
  for (const k of keys) {
    const v = fromEnv[k] ?? stored[k];
    if (v) {
      merged[k] = v;
    } else {
      merged[k] = randomBytes(32).toString("base64url");
      stored[k] = merged[k];
      changed = true;
    }
  }
  if (changed) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  }
  if (existsSync(file)) chmodSync(file, 0o600);
  return merged;
}
