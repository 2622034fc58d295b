// Server secrets: from the environment, or (embedded mode only) generated once into <data-dir>/secrets.json.
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Config } from "./config.js";
import { ConfigError } from "./config.js";

export interface ServerSecrets {
  encryptionKey: string;
  signingSecret: string;
  authSecret: string;
  /** The registry's Ed25519 signing key: base64 of its 32-byte seed. */
  registrySigningKey: string;
  /** HMAC key of the registry's signed download URLs. */
  registryUrlSecret: string;
  /** Older encryption keys, env only: still readable during a rotation, never used to encrypt. */
  encryptionKeyPrevious: readonly string[];
}

type GeneratedSecret = Exclude<keyof ServerSecrets, "encryptionKeyPrevious">;

const ENV_NAMES: Record<GeneratedSecret, string> = {
  encryptionKey: "MOGPLEX_ENCRYPTION_KEY",
  signingSecret: "MOGPLEX_SIGNING_SECRET",
  authSecret: "MOGPLEX_AUTH_SECRET",
  registrySigningKey: "MOGPLEX_REGISTRY_SIGNING_KEY",
  registryUrlSecret: "MOGPLEX_REGISTRY_URL_SECRET",
};

export function loadSecrets(config: Config): ServerSecrets {
  const fromEnv = config.secrets;
  const keys = Object.keys(ENV_NAMES) as GeneratedSecret[];
  const encryptionKeyPrevious = fromEnv.encryptionKeyPrevious ?? [];
  if (config.databaseUrl) {
    // Replicas must agree on these, so scale-out never invents its own.
    const missing = keys.filter((k) => !fromEnv[k]).map((k) => ENV_NAMES[k]);
    if (missing.length > 0)
      throw new ConfigError(`missing ${missing.join(", ")}: required when DATABASE_URL is set`);
    return {
      encryptionKey: fromEnv.encryptionKey as string,
      signingSecret: fromEnv.signingSecret as string,
      authSecret: fromEnv.authSecret as string,
      registrySigningKey: fromEnv.registrySigningKey as string,
      registryUrlSecret: fromEnv.registryUrlSecret as string,
      encryptionKeyPrevious,
    };
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const file = join(config.dataDir, "secrets.json");
  let stored: Partial<Record<GeneratedSecret, string>> = {};
  const existed = existsSync(file);
  if (existed) {
    try {
      stored = JSON.parse(readFileSync(file, "utf8")) as Partial<Record<GeneratedSecret, string>>;
    } catch {
      throw new ConfigError(
        `cannot read ${file}: not valid JSON (restore it from a backup; sessions and secrets depend on it)`,
      );
    }
  }
  const merged = { encryptionKeyPrevious } as unknown as ServerSecrets;
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
    if (existed) {
      renameSync(tmp, file);
    } else {
      // Create-if-absent: when two processes start on a fresh data dir at once (serve and an admin
      // command), the loser adopts the winner's secrets instead of running with ones nobody stored.
      try {
        linkSync(tmp, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        rmSync(tmp, { force: true });
        return loadSecrets(config);
      }
      rmSync(tmp, { force: true });
    }
  }
  if (existsSync(file)) chmodSync(file, 0o600);
  return merged;
}
