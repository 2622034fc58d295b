// @mogplex/contract: request/response schemas, error codes and the route table shared by server, client and web.
export * from "./common.js";
export * from "./connections.js";
export * from "./envelope.js";
export * from "./errors.js";
export * from "./openapi.js";
export * from "./principals.js";
export * from "./registry.js";
export * from "./registry-routes.js";
export * from "./resources.js";
export * from "./routes.js";
export * from "./session-bodies.js";
export * from "./session-responses.js";
export * from "./session-routes.js";
export * from "./session-spec.js";
export * from "./tokens.js";
export * from "./wallet.js";
