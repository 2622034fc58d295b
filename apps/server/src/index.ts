// @mogplex/server: what the `mogplex` binary and the tests import.

export * as admin from "./admin/commands.js";
export * as gatewayAdmin from "./admin/gateway.js";
export * as walletAdmin from "./admin/wallet.js";
export { createApp } from "./app.js";
export { ConfigError, loadConfig } from "./config.js";
export * as engineAdmin from "./engine-admin.js";
export { type RunningServer, startServer } from "./serve.js";
export { type RunningWorker, startWorker } from "./serve-worker.js";
export type { Services } from "./services.js";
export { wire } from "./wiring.js";
