// The run engine's settings: a zod shape that config.ts merges into its env schema (nothing here reads the env).
// Kernel config, so config.ts never imports the engine; the engine reads its settings from here.
import { z } from "zod";
import { isLoopbackHost } from "./preview.js";

const int = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().min(min).max(max))
    .default(fallback);
const optionalInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().min(min).max(max))
    .optional();
// An empty or blank variable (a common `export X=`) means "not set", never a bad value that stops the server.
const key = z
  .string()
  .optional()
  .transform((v) => v?.trim() || undefined);
const HOUR = 3_600_000;

/** Every provider the harness can reach, with the server variable that holds its key (SPEC §6 names). */
export const PROVIDER_KEY_VARS = {
  anthropic: "ANTHROPIC_API_KEY",
  openai: "OPENAI_API_KEY",
  google: "GOOGLE_GENERATIVE_AI_API_KEY",
  groq: "GROQ_API_KEY",
  mistral: "MISTRAL_API_KEY",
  deepseek: "DEEPSEEK_API_KEY",
  xai: "XAI_API_KEY",
  cohere: "COHERE_API_KEY",
  vercel: "VERCEL_API_TOKEN",
} as const;
export type KeyedProvider = keyof typeof PROVIDER_KEY_VARS;

export const ENGINE_ENV = {
  PATH: z.string().optional(),
  MOGPLEX_DEFAULT_MODEL: z
    .string()
    .regex(/^[A-Za-z0-9._-]+\/[A-Za-z0-9._:/@-]+$/, "expected provider/model-id")
    .optional(),
  MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: z.url().optional(),
  MOGPLEX_OPENAI_COMPATIBLE_API_KEY: key,
  // Where Anthropic's Messages API is (default https://api.anthropic.com/v1): a proxy, or a loopback stand-in.
  MOGPLEX_ANTHROPIC_BASE_URL: z
    .url()
    .refine((v) => {
      const u = new URL(v);
      return u.protocol === "https:" || (u.protocol === "http:" && isLoopbackHost(u.hostname));
    }, "expected an https:// URL (http:// only for loopback hosts)")
    .optional(),
  ANTHROPIC_API_KEY: key,
  OPENAI_API_KEY: key,
  GOOGLE_GENERATIVE_AI_API_KEY: key,
  GROQ_API_KEY: key,
  MISTRAL_API_KEY: key,
  DEEPSEEK_API_KEY: key,
  XAI_API_KEY: key,
  COHERE_API_KEY: key,
  VERCEL_API_TOKEN: key,
  MOGPLEX_WORKER_CONCURRENCY: int(0, 256, 2),
  MOGPLEX_WORKER_LEASE_MS: int(500, 24 * HOUR, 30_000),
  MOGPLEX_WORKER_POLL_MS: int(50, 60_000, 1_000),
  MOGPLEX_SANDBOX_BWRAP: z.string().min(1).default("bwrap"),
  MOGPLEX_SANDBOX_PROCESSES: int(8, 100_000, 256),
  MOGPLEX_SANDBOX_CPU_SECONDS: int(1, 7 * 24 * 3600, 900),
  MOGPLEX_SANDBOX_MEMORY_MB: int(64, 1_048_576, 4096),
  MOGPLEX_SANDBOX_ADDRESS_SPACE_MB: int(0, 16_777_216, 0),
  MOGPLEX_SANDBOX_FILE_SIZE_MB: int(1, 1_048_576, 1024),
  MOGPLEX_SANDBOX_DISK_MB: int(64, 16_777_216, 8192),
  // Root servers only: the unprivileged host ids sandboxes run as (0 is refused; the GID defaults to the UID).
  MOGPLEX_SANDBOX_UID: optionalInt(1, 4_294_967_294),
  MOGPLEX_SANDBOX_GID: optionalInt(1, 4_294_967_294),
  MOGPLEX_SANDBOX_COMMAND_TIMEOUT_MS: int(1_000, 24 * HOUR, 600_000),
  MOGPLEX_SANDBOX_INSTALL_TIMEOUT_MS: int(1_000, 24 * HOUR, 900_000),
  MOGPLEX_SANDBOX_IDLE_MS: int(1_000, 7 * 24 * HOUR, 15 * 60_000),
  MOGPLEX_SANDBOX_LIFETIME_MS: int(1_000, 7 * 24 * HOUR, 2 * HOUR),
  MOGPLEX_AGENT_MAX_STEPS: int(1, 10_000, 50),
  MOGPLEX_AGENT_STEP_TIMEOUT_MS: int(1_000, 24 * HOUR, 180_000),
  MOGPLEX_AGENT_RUN_TIMEOUT_MS: int(1_000, 7 * 24 * HOUR, HOUR),
  MOGPLEX_GIT_AUTHOR_NAME: z.string().min(1).max(200).default("Mogplex"),
  MOGPLEX_GIT_AUTHOR_EMAIL: z.email().default("agent@mogplex.local"),
};

const EngineEnvObject = z.object(ENGINE_ENV);
type EngineEnv = z.infer<typeof EngineEnvObject>;

/** Per-sandbox resource caps (read from MOGPLEX_SANDBOX_*; see docs/operations.md). Defined here, in
 * the kernel config, and re-exported by the sandbox provider seam. */
export interface SandboxLimits {
  processes: number;
  cpuSeconds: number;
  memoryMb: number;
  /** RLIMIT_AS in MiB; 0 leaves it unset (language runtimes reserve far more address space than they use). */
  addressSpaceMb: number;
  fileSizeMb: number;
  /** Total disk for the workspace and /tmp together (a root server's per-sandbox filesystem). */
  diskMb: number;
}

export interface EngineConfig {
  /** PATH for host-side tools (bwrap, git); never handed to a sandbox. */
  hostPath: string;
  defaultModel: string | undefined;
  openaiCompatible: { baseUrl: string | undefined; apiKey: string | undefined };
  /** MOGPLEX_ANTHROPIC_BASE_URL: the Messages API's base (`…/v1`); unset, Anthropic's own. */
  anthropicBaseUrl?: string | undefined;
  providerKeys: Partial<Record<KeyedProvider, string>>;
  worker: { concurrency: number; leaseMs: number; pollMs: number };
  sandbox: {
    bwrap: string;
    /** Host uid/gid sandboxes run as when the server is root (unset: the provider's defaults). */
    hostUser: { uid?: number; gid?: number };
    limits: SandboxLimits;
    commandTimeoutMs: number;
    installTimeoutMs: number;
    idleMs: number;
    lifetimeMs: number;
  };
  agent: { maxSteps: number; stepTimeoutMs: number; runTimeoutMs: number };
  git: { authorName: string; authorEmail: string };
}

export function engineConfig(e: EngineEnv): EngineConfig {
  const providerKeys: Partial<Record<KeyedProvider, string>> = {};
  for (const [provider, variable] of Object.entries(PROVIDER_KEY_VARS) as [KeyedProvider, string][]) {
    const value = e[variable as keyof EngineEnv];
    if (typeof value === "string") providerKeys[provider] = value;
  }
  return {
    hostPath: e.PATH || "/usr/local/bin:/usr/bin:/bin",
    defaultModel: e.MOGPLEX_DEFAULT_MODEL,
    openaiCompatible: {
      baseUrl: e.MOGPLEX_OPENAI_COMPATIBLE_BASE_URL,
      apiKey: e.MOGPLEX_OPENAI_COMPATIBLE_API_KEY,
    },
    anthropicBaseUrl: e.MOGPLEX_ANTHROPIC_BASE_URL,
    providerKeys,
    worker: {
      concurrency: e.MOGPLEX_WORKER_CONCURRENCY,
      leaseMs: e.MOGPLEX_WORKER_LEASE_MS,
      pollMs: e.MOGPLEX_WORKER_POLL_MS,
    },
    sandbox: {
      bwrap: e.MOGPLEX_SANDBOX_BWRAP,
      hostUser: {
        ...(e.MOGPLEX_SANDBOX_UID !== undefined ? { uid: e.MOGPLEX_SANDBOX_UID } : {}),
        ...(e.MOGPLEX_SANDBOX_GID !== undefined ? { gid: e.MOGPLEX_SANDBOX_GID } : {}),
      },
      limits: {
        processes: e.MOGPLEX_SANDBOX_PROCESSES,
        cpuSeconds: e.MOGPLEX_SANDBOX_CPU_SECONDS,
        memoryMb: e.MOGPLEX_SANDBOX_MEMORY_MB,
        addressSpaceMb: e.MOGPLEX_SANDBOX_ADDRESS_SPACE_MB,
        fileSizeMb: e.MOGPLEX_SANDBOX_FILE_SIZE_MB,
        diskMb: e.MOGPLEX_SANDBOX_DISK_MB,
      },
      commandTimeoutMs: e.MOGPLEX_SANDBOX_COMMAND_TIMEOUT_MS,
      installTimeoutMs: e.MOGPLEX_SANDBOX_INSTALL_TIMEOUT_MS,
      idleMs: e.MOGPLEX_SANDBOX_IDLE_MS,
      lifetimeMs: e.MOGPLEX_SANDBOX_LIFETIME_MS,
    },
    agent: {
      maxSteps: e.MOGPLEX_AGENT_MAX_STEPS,
      stepTimeoutMs: e.MOGPLEX_AGENT_STEP_TIMEOUT_MS,
      runTimeoutMs: e.MOGPLEX_AGENT_RUN_TIMEOUT_MS,
    },
    git: { authorName: e.MOGPLEX_GIT_AUTHOR_NAME, authorEmail: e.MOGPLEX_GIT_AUTHOR_EMAIL },
  };
}
