// The run engine's entry point: attach a worker to wired services (serve, tests; standalone: serve-worker.ts).
import { createSandboxProvider } from "../sandboxes/provider/index.js";
import type { SandboxProvider } from "../sandboxes/provider/types.js";
import type { Services } from "../services.js";
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
