// @mogplex/client: the typed public-API client used by the CLIs, the web app, tests and benchmarks.
export { type ClientOptions, type ListOptions, MogplexClient, type ResponseInfo } from "./client.js";
export { MogplexApiError, MogplexNetworkError, MogplexTransportError } from "./errors.js";
export { RegistryClient, type RegistryClientOptions } from "./registry.js";
export { parseSse, type SseMessage } from "./sse.js";
