// The only place the environment is read: validated once at start-up, a bad value names its variable.
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { ENGINE_ENV, type EngineConfig, engineConfig } from "./config/engine.js";
import { type PreviewTemplate, parsePreviewTemplate, previewIdOfHost } from "./config/preview.js";
import { exposesPrivate } from "./security/host-paths.js";

const rule = z.string().regex(/^\d+\/\d+(ms|s|m|h|d)$/, "expected N/<duration>, e.g. 60/60s");
// Not z.coerce.number(): it reads "" and " " as 0, so an empty MOGPLEX_PORT= would quietly pick a random port.
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().min(min).max(max));
const rules = z.string().regex(/^\d+\/\d+(ms|s|m|h|d)(,\d+\/\d+(ms|s|m|h|d))*$/, "expected e.g. 10/1m,30/1h");
const csv = z
  .string()
  .transform((v) =>
    v
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .default([]);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const Env = z.object({
  MOGPLEX_HOME: z.string().min(1).optional(),
  MOGPLEX_DATA_DIR: z.string().min(1).optional(),
  MOGPLEX_HOST: z.string().min(1).default("127.0.0.1"),
  MOGPLEX_PORT: wholeNumber(0, 65535).default(4100),
  MOGPLEX_PUBLIC_URL: z.url().optional(),
  MOGPLEX_PREVIEW_URL: z.string().min(1).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "only postgres:// URLs are supported (leave unset for embedded SQLite)")
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "expected redis:// or rediss://")
    .optional(),
  MOGPLEX_ENCRYPTION_KEY: z.string().min(32).optional(),
  // Keys the envelope may still decrypt with while `admin rotate-encryption-key` moves values to the current one.
  MOGPLEX_ENCRYPTION_KEY_PREVIOUS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every((k) => k.length >= 32), "every key must be at least 32 characters"),
  MOGPLEX_SIGNING_SECRET: z.string().min(32).optional(),
  MOGPLEX_AUTH_SECRET: z.string().min(32).optional(),
  // The registry's Ed25519 signing key (base64 or base64url of its 32-byte seed) and the download-URL HMAC key.
  MOGPLEX_REGISTRY_SIGNING_KEY: z
    .string()
    .refine((v) => Buffer.from(v, "base64").length === 32, "must be base64 of a 32-byte Ed25519 seed")
    .optional(),
  MOGPLEX_REGISTRY_URL_SECRET: z.string().min(32).optional(),
  MOGPLEX_REGISTRY_SCAN_POLL_MS: wholeNumber(100, 3_600_000).default(2_000),
  MOGPLEX_REGISTRY_SCAN_LEASE_MS: wholeNumber(3_000, 3_600_000).default(60_000),
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
  MOGPLEX_SHUTDOWN_GRACE_MS: wholeNumber(0, Number.MAX_SAFE_INTEGER).default(10_000),
  MOGPLEX_GATEWAY_DEFAULT_RPS: z.coerce.number().int().min(1).max(100_000).default(10),
  MOGPLEX_GATEWAY_MAX_STDIO: z.coerce.number().int().min(1).max(1000).default(8),
  MOGPLEX_GATEWAY_STDIO_IDLE_MS: positiveInt(300_000),
  MOGPLEX_GATEWAY_SESSION_IDLE_MS: positiveInt(1_800_000),
  MOGPLEX_GATEWAY_MAX_SESSIONS: positiveInt(1_000),
  MOGPLEX_GATEWAY_UPSTREAM_TIMEOUT_MS: positiveInt(60_000),
  MOGPLEX_GATEWAY_BREAKER_THRESHOLD: positiveInt(5),
  MOGPLEX_GATEWAY_BREAKER_COOLDOWN_MS: positiveInt(30_000),
  MOGPLEX_GATEWAY_KEY_CACHE_TTL_MS: positiveInt(60_000),
  MOGPLEX_GATEWAY_LOG_RETENTION_DAYS: positiveInt(365),
  MOGPLEX_MCP_STDIO_SANDBOX: z.enum(["bwrap", "none"]).default("bwrap"),
  MOGPLEX_MCP_STDIO_MOUNTS: csv,
  MOGPLEX_MCP_ALLOWED_ORIGINS: csv,
  MOGPLEX_MCP_ALLOWED_HOSTS: csv,
  // The run engine's variables (models, provider keys, worker, sandbox limits) are declared beside it.
  ...ENGINE_ENV,
});

export interface Config {
  host: string;
  port: number;
  publicUrl: string | undefined;
  /** Where previews are served (MOGPLEX_PREVIEW_URL); null = the loopback default (config/preview.ts). */
  previewTemplate: PreviewTemplate | null;
  dataDir: string;
  mogplexHome: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  secrets: {
    encryptionKey?: string;
    encryptionKeyPrevious: string[];
    signingSecret?: string;
    authSecret?: string;
    registrySigningKey?: string;
    registryUrlSecret?: string;
  };
  /** The registry's scan jobs: how often a replica looks for queued releases, and how long a claim lasts. */
  registry: { scanPollMs: number; scanLeaseMs: number };
  trustProxy: boolean;
  logLevel: z.infer<typeof Env>["MOGPLEX_LOG_LEVEL"];
  bodyLimitBytes: number;
  limits: { pat: string; runStarts: string; ip: string; signIn: string; tokenCreate: string };
  shutdownGraceMs: number;
  gateway: GatewayConfig;
  engine: EngineConfig;
}

export interface GatewayConfig {
  /** Requests per second for a gateway key created without its own limit. */
  defaultRps: number;
  maxStdio: number;
  stdioIdleMs: number;
  sessionIdleMs: number;
  maxSessions: number;
  upstreamTimeoutMs: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
  keyCacheTtlMs: number;
  /** Gateway request-log rows older than this are purged. */
  logRetentionDays: number;
  /** Browser origins allowed on /mcp and /api/v1/mogplex/mcp besides the public URL's. */
  allowedOrigins: string[];
  /** Host headers allowed besides loopback names and the public URL's host (DNS-rebinding guard). */
  allowedHosts: string[];
  /** "bwrap": stdio MCP servers run in a sandbox (refused where none works); "none": scrubbed env only. */
  stdioSandbox: "bwrap" | "none";
  /** Host paths visible read-only inside stdio MCP sandboxes (where the operator installed the servers). */
  stdioMounts: string[];
}

export class ConfigError extends Error {}

/** Mounts are absolute and never expose the server's own state (database, secrets, sandboxes) to a server. */
function stdioMounts(raw: string[], privateDirs: string[]): string[] {
  return raw.map((m) => {
    if (!isAbsolute(m))
      throw new ConfigError(`invalid MOGPLEX_MCP_STDIO_MOUNTS: ${m} is not an absolute path`);
    const p = resolve(m);
    if (exposesPrivate(p, privateDirs)) {
      throw new ConfigError(
        `invalid MOGPLEX_MCP_STDIO_MOUNTS: ${p} would expose the server's data directory to MCP servers`,
      );
    }
    return p;
  });
}

function previewTemplate(raw: string | undefined, publicUrl: string | undefined): PreviewTemplate | null {
  if (raw === undefined) return null;
  const t = parsePreviewTemplate(raw);
  if (typeof t === "string") throw new ConfigError(`invalid MOGPLEX_PREVIEW_URL: ${t}`);
  if (publicUrl && previewIdOfHost(new URL(publicUrl).host, t)) {
    throw new ConfigError(
      "invalid MOGPLEX_PREVIEW_URL: the control plane's own host (MOGPLEX_PUBLIC_URL) matches it",
    );
  }
  return t;
}

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
    previewTemplate: previewTemplate(e.MOGPLEX_PREVIEW_URL, e.MOGPLEX_PUBLIC_URL),
    dataDir,
    mogplexHome,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    secrets: {
      encryptionKey: e.MOGPLEX_ENCRYPTION_KEY,
      encryptionKeyPrevious: e.MOGPLEX_ENCRYPTION_KEY_PREVIOUS,
      signingSecret: e.MOGPLEX_SIGNING_SECRET,
      authSecret: e.MOGPLEX_AUTH_SECRET,
      registrySigningKey: e.MOGPLEX_REGISTRY_SIGNING_KEY,
      registryUrlSecret: e.MOGPLEX_REGISTRY_URL_SECRET,
    },
    registry: { scanPollMs: e.MOGPLEX_REGISTRY_SCAN_POLL_MS, scanLeaseMs: e.MOGPLEX_REGISTRY_SCAN_LEASE_MS },
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
    gateway: {
      defaultRps: e.MOGPLEX_GATEWAY_DEFAULT_RPS,
      maxStdio: e.MOGPLEX_GATEWAY_MAX_STDIO,
      stdioIdleMs: e.MOGPLEX_GATEWAY_STDIO_IDLE_MS,
      sessionIdleMs: e.MOGPLEX_GATEWAY_SESSION_IDLE_MS,
      maxSessions: e.MOGPLEX_GATEWAY_MAX_SESSIONS,
      upstreamTimeoutMs: e.MOGPLEX_GATEWAY_UPSTREAM_TIMEOUT_MS,
      breakerThreshold: e.MOGPLEX_GATEWAY_BREAKER_THRESHOLD,
      breakerCooldownMs: e.MOGPLEX_GATEWAY_BREAKER_COOLDOWN_MS,
      keyCacheTtlMs: e.MOGPLEX_GATEWAY_KEY_CACHE_TTL_MS,
      logRetentionDays: e.MOGPLEX_GATEWAY_LOG_RETENTION_DAYS,
      allowedOrigins: e.MOGPLEX_MCP_ALLOWED_ORIGINS,
      allowedHosts: e.MOGPLEX_MCP_ALLOWED_HOSTS.map((h) => h.toLowerCase()),
      stdioSandbox: e.MOGPLEX_MCP_STDIO_SANDBOX,
      stdioMounts: stdioMounts(e.MOGPLEX_MCP_STDIO_MOUNTS, [dataDir, mogplexHome]),
    },
    engine: engineConfig(e),
  };
}
