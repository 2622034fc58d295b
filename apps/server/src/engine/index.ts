// The run engine's entry points: attach a worker to wired services (serve, tests) or run one standalone.
import { type ConfigOverrides, loadConfig } from "../config.js";
import { createSandboxProvider } from "../sandboxes/provider/index.js";
import type { SandboxProvider } from "../sandboxes/provider/types.js";
import type { Services } from "../services.js";
import { wire } from "../wiring.js";
import { Worker } from "./worker.js";

export interface EngineOptions {
  concurrency?: number;
  leaseMs?: number;
  pollMs?: number;
  provider?: SandboxProvider;
}

/** Starts a worker over already-wired services; the caller stops it before closing the services. */
export async function startEngine(s: Services, o: EngineOptions = {}): Promise<Worker> {
  const worker = new Worker(s, { ...o, provider: o.provider ?? createSandboxProvider(s.config.engine) });
  await worker.start();
  return worker;
}

export interface RunningWorker {
  id: string;
  stop(): Promise<void>;
}

/** `mogplex worker`: run executor only (no HTTP), sharing the database (and Redis) with the servers. */
export async function startWorker(
  env: NodeJS.ProcessEnv,
  overrides: ConfigOverrides & { concurrency?: number } = {},
) {
  const config = loadConfig(env, overrides);
  const services = await wire({ config });
  const concurrency = overrides.concurrency ?? Math.max(1, config.engine.worker.concurrency);
  const worker = await startEngine(services, { concurrency });
  services.logger.info(
    { worker: worker.id, concurrency, database: services.db.dialect },
    "mogplex worker started",
  );
  process.stdout.write(`mogplex worker ${worker.id} started (concurrency ${concurrency})\n`);
  return {
    id: worker.id,
    async stop() {
      await worker.stop();
      await services.close();
    },
  } satisfies RunningWorker;
}
