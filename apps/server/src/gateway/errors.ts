// Gateway failures: an error class for the request log, a JSON-RPC code, and a client message that reveals nothing.
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";

export type ErrorClass =
  | "unauthorized"
  | "forbidden"
  | "rate_limited"
  | "bad_request"
  | "not_found"
  | "upstream_unavailable"
  | "upstream_timeout"
  | "upstream_error"
  | "circuit_open"
  | "cancelled"
  | "internal";

/**
 * What a handler throws to answer with a JSON-RPC error: the SDK sends `code` and `message` as they are
 * (an McpError would prefix its message with "MCP error N:", and the client adds that again).
 */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const SDK_PREFIX = /^MCP error -?\d+: /;

export class GatewayError extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    readonly code: number,
    message: string,
    /** Why an upstream could not be used, in fixed form (see failures.ts): safe to tell any client. */
    readonly reason?: string,
  ) {
    super(message);
  }
}

/**
 * Maps anything thrown while serving a request to what the client sees. Upstream JSON-RPC errors (bad
 * arguments and the like) are the upstream's answer and pass through; everything that went wrong on the
 * way there becomes a generic message carrying the request id, with the detail left to internal logs.
 */
export function toClientError(err: unknown, requestId: string): { error: RpcError; errorClass: ErrorClass } {
  if (err instanceof GatewayError) {
    const generic = ["upstream_unavailable", "upstream_timeout", "circuit_open", "internal"].includes(
      err.errorClass,
    );
    const message = generic ? `${err.message} (request ${requestId})` : err.message;
    return { error: new RpcError(err.code, message), errorClass: err.errorClass };
  }
  if (err instanceof McpError) {
    if (err.code === ErrorCode.RequestTimeout)
      return {
        error: new RpcError(ErrorCode.RequestTimeout, `Upstream timed out (request ${requestId})`),
        errorClass: "upstream_timeout",
      };
    if (err.code === ErrorCode.ConnectionClosed)
      return {
        error: new RpcError(ErrorCode.InternalError, `Upstream unavailable (request ${requestId})`),
        errorClass: "upstream_unavailable",
      };
    return {
      error: new RpcError(err.code, err.message.replace(SDK_PREFIX, "")),
      errorClass: "upstream_error",
    };
  }
  if (err instanceof Error && err.name === "AbortError") {
    return { error: new RpcError(ErrorCode.RequestTimeout, "Request cancelled"), errorClass: "cancelled" };
  }
  return {
    error: new RpcError(ErrorCode.InternalError, `Upstream unavailable (request ${requestId})`),
    errorClass: "upstream_unavailable",
  };
}
