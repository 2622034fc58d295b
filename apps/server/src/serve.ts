// `mogplex serve`: wire services once, listen, print the first-run setup URL, and shut down gracefully.
import type { AddressInfo } from "node:net";
import { serve as listen, type ServerType } from "@hono/node-server";
import { createApp } from "./app.js";
import { type ConfigOverrides, loadConfig } from "./config.js";
import { startRetention } from "./retention/jobs.js";
import { baseUrlOf, wire } from "./wiring.js";

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startServer(
  env: NodeJS.ProcessEnv,
  overrides: ConfigOverrides = {},
): Promise<RunningServer> {
  const config = loadConfig(env, overrides);
  const services = await wire({ config });
  const app = createApp(services);
  services.tokens.startFlushing();
  const stopRetention = startRetention(services.db.db, services.db.dialect, services.clock, services.logger);
  const server: ServerType = await new Promise((resolve) => {
    const s = listen({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const url = baseUrlOf({ ...config, port });
  services.logger.info(
    { url, dataDir: config.databaseUrl ? undefined : config.dataDir, database: services.db.dialect },
    "mogplex listening",
  );
  const setupToken = await services.identity.issueSetupToken();
  if (setupToken) {
    // Printed once, on stdout only: whoever holds it can create the first owner for the next hour.
    process.stdout.write(
      `\nNo users yet. Create the first owner within 1 hour at:\n  ${url}/setup#token=${setupToken}\n\n`,
    );
  }
  process.stdout.write(`mogplex listening on ${url}\n`);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          // In-flight requests had their grace period; long-lived streams are cut.
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          resolve();
        }, config.shutdownGraceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      stopRetention();
      await services.close();
    })();
    return stopping;
  };
  return { url, port, stop };
}
