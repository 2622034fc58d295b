// The service container: built once by main.ts (or a test) from real adapters, then handed to the app.
import { join } from "node:path";
import { APPROVAL_PAGE_PATH } from "@mogplex/contract";
import type { Redis } from "ioredis";
import { AuditLog } from "./audit/store.js";
import { CliAuthService } from "./cli-auth/service.js";
import type { Clock } from "./clock.js";
import type { Config } from "./config.js";
import { ConnectionService } from "./connections/service.js";
import type { Db } from "./db/connect.js";
import { ScrubbedEnvLauncher, type StdioLauncher } from "./gateway/launch/launcher.js";
import { SandboxedStdioLauncher } from "./gateway/launch/sandboxed-launcher.js";
import { Gateway } from "./gateway/service.js";
import type { Identity } from "./identity/index.js";
import {
  MemoryRateLimitStore,
  parseRule,
  parseRules,
  type RateLimitStore,
  RedisRateLimitStore,
  type WindowRule,
} from "./limits/index.js";
import type { Logger } from "./logger.js";
import { ModelService } from "./models/service.js";
import { FileBlobStore } from "./registry/blob-store.js";
import { createSandboxScanner, type ReleaseScanner } from "./registry/scan/index.js";
import { RegistryService } from "./registry/service.js";
import { StatementSigner, UrlSigner } from "./registry/signing.js";
import { walletPurchases } from "./registry/wallet/purchases.js";
import { WalletService } from "./registry/wallet/service.js";
import { RepoService } from "./repos/service.js";
import { RunPackages } from "./run-packages/releases.js";
import { RunTools } from "./run-tools/service.js";
import { type EventBus, MemoryEventBus } from "./runs/bus.js";
import { RunEventStore } from "./runs/events.js";
import { RedisEventBus } from "./runs/redis-bus.js";
import { RunService } from "./runs/service.js";
import { createSandboxProvider } from "./sandboxes/provider/index.js";
import { SandboxService } from "./sandboxes/service.js";
import type { ServerSecrets } from "./secrets.js";
import { Keyring } from "./security/envelope.js";
import { TeamService } from "./teams/service.js";
import { TokenService } from "./tokens/service.js";

export interface Rules {
  pat: WindowRule;
  runStarts: WindowRule[];
  ip: WindowRule;
  signIn: WindowRule;
  tokenCreate: WindowRule;
}

export interface Services {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  limiter: RateLimitStore;
  rules: Rules;
  audit: AuditLog;
  bus: EventBus;
  tokens: TokenService;
  teams: TeamService;
  repos: RepoService;
  runs: RunService;
  events: RunEventStore;
  sandboxes: SandboxService;
  cliAuth: CliAuthService;
  identity: Identity;
  redis: Redis | undefined;
  /** Seals credentials at rest (current key) and opens them (current or previous keys). */
  keyring: Keyring;
  connections: ConnectionService;
  gateway: Gateway;
  /** The registry's team wallets, spend policies and approvals (the real Purchases behind priced listings). */
  wallet: WalletService;
  /** The package registry: vendors, listings, uploads and their scan queue, entitlements, signed downloads. */
  registry: RegistryService;
  /** The model catalogue and the team's model settings (default, allowlist, sealed provider keys). */
  models: ModelService;
  close(): Promise<void>;
}

export interface ServiceDeps {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  identity: (partial: Omit<Services, "identity" | "close">) => Identity;
  redis?: Redis | undefined;
  limiter?: RateLimitStore;
  bus?: EventBus;
  secrets: ServerSecrets;
  /** How stdio MCP servers are started (the run engine's sandbox provider, once it exists). */
  launcher?: StdioLauncher;
  /** The server's own base URL (links it hands out, e.g. a purchase's approval page). */
  baseUrl?: string;
  /** Judges uploaded releases (default: the sandboxed scanner). */
  scanner?: ReleaseScanner;
}

/** stdio MCP servers run inside the engine's sandbox provider unless the operator explicitly opted out. */
function stdioLauncherFor(config: Config, logger: Logger): StdioLauncher {
  if (config.gateway.stdioSandbox === "none") {
    logger.warn("MOGPLEX_MCP_STDIO_SANDBOX=none: stdio MCP servers run unsandboxed on this host");
    return new ScrubbedEnvLauncher();
  }
  return new SandboxedStdioLauncher({
    provider: createSandboxProvider(config.engine),
    root: join(config.dataDir, "mcp-sandboxes"),
    // A server lives as long as it is used: no CPU-seconds cap (the memory and process caps still hold).
    limits: { ...config.engine.sandbox.limits, cpuSeconds: 0 },
    mounts: config.gateway.stdioMounts,
    privateDirs: [config.dataDir, config.mogplexHome],
    logger,
  });
}

/** Each uploaded release is judged in its own bubblewrap sandbox (no network, CPU/memory/time caps). */
function releaseScannerFor(config: Config, logger: Logger): ReleaseScanner {
  return createSandboxScanner({
    provider: createSandboxProvider(config.engine),
    rootDir: join(config.dataDir, "scan-sandboxes"),
    privateDirs: [config.dataDir, config.mogplexHome],
    logger,
  });
}

export function rulesFrom(config: Config): Rules {
  return {
    pat: parseRule(config.limits.pat),
    runStarts: parseRules(config.limits.runStarts),
    ip: parseRule(config.limits.ip),
    signIn: parseRule(config.limits.signIn),
    tokenCreate: parseRule(config.limits.tokenCreate),
  };
}

export function buildServices(deps: ServiceDeps): Services {
  const { config, db, clock, logger } = deps;
  const rules = rulesFrom(config);
  const limiter =
    deps.limiter ??
    (deps.redis
      ? new RedisRateLimitStore({ redis: deps.redis, prefix: "mogplex:rl:" })
      : new MemoryRateLimitStore());
  const bus = deps.bus ?? (deps.redis ? new RedisEventBus(deps.redis) : new MemoryEventBus());
  const audit = new AuditLog(db.dialect, () => clock.now());
  const repos = new RepoService(db.db, audit, clock);
  const events = new RunEventStore(db.db, db.dialect, clock, bus);
  const keyring = new Keyring(deps.secrets.encryptionKey, deps.secrets.encryptionKeyPrevious);
  const teams = new TeamService(db.db, audit, clock);
  const launcher = deps.launcher ?? stdioLauncherFor(config, logger);
  const connections = new ConnectionService(db.db, audit, clock, keyring, {
    sandboxed: launcher.confinement === "bwrap",
    operatorMounts: config.gateway.stdioMounts,
    privateDirs: [config.dataDir, config.mogplexHome],
    sandboxUid: launcher instanceof SandboxedStdioLauncher ? () => launcher.sandboxUid() : undefined,
  });
  const gateway = new Gateway({
    db: db.db,
    audit,
    clock,
    logger,
    teams,
    connections,
    config: config.gateway,
    signingSecret: deps.secrets.signingSecret,
    redis: deps.redis,
    launcher,
  });
  const tokens = new TokenService(db.db, audit, clock);
  const wallet = new WalletService({
    db: db.db,
    dialect: db.dialect,
    audit,
    clock,
    approvalUrl: (id, teamId) =>
      `${deps.baseUrl ?? ""}${APPROVAL_PAGE_PATH}/${encodeURIComponent(id)}?team=${encodeURIComponent(teamId)}`,
    provider: null,
  });
  const registry = new RegistryService({
    db: db.db,
    dialect: db.dialect,
    audit,
    clock,
    logger,
    blobs: new FileBlobStore(join(config.dataDir, "blobs")),
    signer: new StatementSigner(deps.secrets.registrySigningKey),
    urls: new UrlSigner(deps.secrets.registryUrlSecret),
    scanner: deps.scanner ?? releaseScannerFor(config, logger),
    purchases: walletPurchases(wallet),
    scanPollMs: config.registry.scanPollMs,
    scanLeaseMs: config.registry.scanLeaseMs,
  });
  const models = new ModelService({ db: db.db, audit, clock, keyring, engine: config.engine });
  const partial = {
    redis: deps.redis,
    config,
    db,
    clock,
    logger,
    limiter,
    rules,
    audit,
    bus,
    tokens,
    teams,
    repos,
    events,
    runs: new RunService({
      db: db.db,
      dialect: db.dialect,
      audit,
      clock,
      repos,
      events,
      runStartRules: rules.runStarts,
      checkModel: (teamId, requested, teamDefault) => models.check(teamId, requested, teamDefault),
      tools: new RunTools({ db: db.db, keyring, gateway }),
      packages: new RunPackages({ db: db.db, registry }),
    }),
    sandboxes: new SandboxService(db.db, audit, clock),
    cliAuth: new CliAuthService(db.db, audit, clock, tokens),
    keyring,
    connections,
    gateway,
    registry,
    wallet,
    models,
  };
  const identity = deps.identity(partial);
  return {
    ...partial,
    identity,
    async close() {
      // Better Auth runs its plugins' start-up work (the OAuth provider seeds its resources) in the background:
      // let it finish before the caller closes the database, or a short-lived admin command logs its failure.
      await identity.auth.$context.catch(() => undefined);
      await registry.scans.stop();
      await gateway.close();
      await partial.tokens.stop();
      await limiter.close();
      await bus.close();
    },
  };
}
