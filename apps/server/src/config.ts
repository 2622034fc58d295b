// The only place the environment is read: validated once at start-up, a bad value names its variable.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";

const rule = z.string().regex(/^\d+\/\d+(ms|s|m|h|d)$/, "expected N/<duration>, e.g. 60/60s");
const rules = z.string().regex(/^\d+\/\d+(ms|s|m|h|d)(,\d+\/\d+(ms|s|m|h|d))*$/, "expected e.g. 10/1m,30/1h");

const Env = z.object({
  MOGPLEX_HOME: z.string().min(1).optional(),
  MOGPLEX_DATA_DIR: z.string().min(1).optional(),
  MOGPLEX_HOST: z.string().min(1).default("127.0.0.1"),
  MOGPLEX_PORT: z.coerce.number().int().min(0).max(65535).default(4100),
  MOGPLEX_PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "only postgres:// URLs are supported (leave unset for embedded SQLite)")
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "expected redis:// or rediss://")
    .optional(),
  MOGPLEX_ENCRYPTION_KEY: z.string().min(32).optional(),
  MOGPLEX_SIGNING_SECRET: z.string().min(32).optional(),
  MOGPLEX_AUTH_SECRET: z.string().min(32).optional(),
  MOGPLEX_TRUST_PROXY: z.enum(["true", "false"]).default("false"),
  MOGPLEX_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  MOGPLEX_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  MOGPLEX_PAT_RATE_LIMIT: rule.default("60/60s"),
  MOGPLEX_RUN_START_LIMITS: rules.default("10/1m,30/1h,150/1d"),
  MOGPLEX_IP_RATE_LIMIT: rule.default("1200/60s"),
  MOGPLEX_SIGNIN_RATE_LIMIT: rule.default("10/60s"),
  MOGPLEX_TOKEN_CREATE_RATE_LIMIT: rule.default("20/60s"),
  MOGPLEX_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
});

export interface Config {
  host: string;
  port: number;
  publicUrl: string | undefined;
  dataDir: string;
  mogplexHome: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  secrets: { encryptionKey?: string; signingSecret?: string; authSecret?: string };
  trustProxy: boolean;
  logLevel: z.infer<typeof Env>["MOGPLEX_LOG_LEVEL"];
  bodyLimitBytes: number;
  limits: { pat: string; runStarts: string; ip: string; signIn: string; tokenCreate: string };
  shutdownGraceMs: number;
}

export class ConfigError extends Error {}

export interface ConfigOverrides {
  host?: string;
  port?: number;
  dataDir?: string;
}

/** Reads and validates configuration; throws ConfigError with one line naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv, overrides: ConfigOverrides = {}): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? "environment");
    throw new ConfigError(`invalid ${name}: ${issue?.message ?? "bad value"}`);
  }
  const e = parsed.data;
  const mogplexHome = resolve(e.MOGPLEX_HOME ?? join(homedir(), ".mogplex"));
  const dataDir = resolve(overrides.dataDir ?? e.MOGPLEX_DATA_DIR ?? join(mogplexHome, "server"));
  return {
    host: overrides.host ?? e.MOGPLEX_HOST,
    port: overrides.port ?? e.MOGPLEX_PORT,
    publicUrl: e.MOGPLEX_PUBLIC_URL,
    dataDir,
    mogplexHome,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    secrets: {
      encryptionKey: e.MOGPLEX_ENCRYPTION_KEY,
      signingSecret: e.MOGPLEX_SIGNING_SECRET,
      authSecret: e.MOGPLEX_AUTH_SECRET,
    },
    trustProxy: e.MOGPLEX_TRUST_PROXY === "true",
    logLevel: e.MOGPLEX_LOG_LEVEL,
    bodyLimitBytes: e.MOGPLEX_BODY_LIMIT_BYTES,
    limits: {
      pat: e.MOGPLEX_PAT_RATE_LIMIT,
      runStarts: e.MOGPLEX_RUN_START_LIMITS,
      ip: e.MOGPLEX_IP_RATE_LIMIT,
      signIn: e.MOGPLEX_SIGNIN_RATE_LIMIT,
      tokenCreate: e.MOGPLEX_TOKEN_CREATE_RATE_LIMIT,
    },
    shutdownGraceMs: e.MOGPLEX_SHUTDOWN_GRACE_MS,
  };
}
