// @mogplex/server: what the `mogplex` binary and the tests import.

export * as admin from "./admin/commands.js";
export { createApp } from "./app.js";
export { ConfigError, loadConfig } from "./config.js";
export { type RunningServer, startServer } from "./serve.js";
export type { Services } from "./services.js";
export { wire } from "./wiring.js";
