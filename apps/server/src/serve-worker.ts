// `mogplex worker`: the run executor alone (no HTTP), wired from the environment like serve.ts; it shares the
// database (and Redis) with the servers.
import { type ConfigOverrides, loadConfig } from "./config.js";
import { startEngine } from "./engine/index.js";
import { wire } from "./wiring.js";

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
