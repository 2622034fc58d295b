// `mogplex serve`: wire services once, listen, print the first-run setup URL, and shut down gracefully.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { serve as listen, type ServerType } from "@hono/node-server";
import { createApp } from "./app.js";
import { type ConfigOverrides, loadConfig } from "./config.js";
import { ownerOnlyDataDir } from "./data-dir.js";
import { startEngine } from "./engine/index.js";
import { startRetention } from "./retention/jobs.js";
import { servePreviewUpgrades } from "./sandboxes/preview-host/ws.js";
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
  const configured = loadConfig(env, overrides);
  // Listen before wiring: with --port 0 the real port is only known now, and the sign-in origin, cookies
  // and printed URLs must name it. Requests arriving in the moment before wiring finishes get a 503.
  let handle: (req: Request, env: unknown) => Response | Promise<Response> = () =>
    new Response(
      JSON.stringify({ ok: false, error: { code: "SERVICE_UNAVAILABLE", message: "Starting up" } }),
      {
        status: 503,
        headers: { "content-type": "application/json", "retry-after": "1" },
      },
    );
  let server: ServerType;
  try {
    server = await new Promise((resolve, reject) => {
      const s = listen(
        { fetch: (req, e) => handle(req, e), hostname: configured.host, port: configured.port },
        () => {
          s.off("error", reject);
          resolve(s);
        },
      );
      s.once("error", reject);
    });
  } catch (err) {
    // Otherwise an unhandled 'error' event: a stack trace instead of one line.
    throw new Error(listenFailure(err as NodeJS.ErrnoException, configured.host, configured.port));
  }
  const config = { ...configured, port: (server.address() as AddressInfo).port };
  let services: Awaited<ReturnType<typeof wire>>;
  let dataDir: ReturnType<typeof ownerOnlyDataDir>;
  try {
    dataDir = ownerOnlyDataDir(config.dataDir, { create: !config.databaseUrl });
    services = await wire({ config });
  } catch (err) {
    server.close();
    throw err;
  }
  if (dataDir.loosened) {
    services.logger.warn(
      { dataDir: config.dataDir, was: dataDir.loosened },
      "the data directory was open to other users; tightened to 0700",
    );
  }
  const app = createApp(services);
  handle = app.fetch;
  // WebSockets on preview hosts go to the sandbox's dev server; other upgrades are answered as plain HTTP.
  const upgrades = servePreviewUpgrades(server as Server, services);
  services.tokens.startFlushing();
  services.gateway.start();
  const stopRetention = startRetention(services.db.db, services.db.dialect, services.clock, services.logger);
  // Responses written while stopping carry `Connection: close`, so an idle keep-alive socket left behind by
  // an in-flight request can't hold the exit back until the keep-alive timeout.
  let draining = false;
  const open = new Set<ServerResponse>();
  server.on("request", (_req: IncomingMessage, res: ServerResponse) => {
    if (draining) res.setHeader("connection", "close");
    open.add(res);
    res.on("close", () => open.delete(res));
  });
  // The in-process run worker. With MOGPLEX_WORKER_CONCURRENCY=0 it executes nothing (that is left to
  // `mogplex worker` processes) but still relays cancels and recovers runs whose worker was lost.
  const worker = await startEngine(services);
  // Uploaded releases waiting for their scan (including any left queued by the last run) are picked up now.
  services.registry.scans.start();
  const port = config.port;
  const url = baseUrlOf(config);
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
      draining = true;
      upgrades.close();
      for (const res of open) if (!res.headersSent) res.setHeader("connection", "close");
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
      await worker.stop();
      stopRetention();
      await services.close();
    })();
    return stopping;
  };
  return { url, port, stop };
}

function listenFailure(err: NodeJS.ErrnoException, host: string, port: number): string {
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  if (err.code === "EADDRINUSE") return `cannot listen on ${where}: address already in use (choose --port)`;
  if (err.code === "EACCES") return `cannot listen on ${where}: permission denied (choose a port above 1023)`;
  if (err.code === "EADDRNOTAVAIL") return `cannot listen on ${where}: no such local address (check --host)`;
  return `cannot listen on ${where}: ${err.message}`;
}
