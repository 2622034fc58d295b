// The one place a Failure (failure.ts) becomes an HTTP status, headers and the JSON error envelope; plus
// the edge's own failures that carry headers (an auth challenge, a Retry-After).
import { ERROR_STATUS, type ErrorCode } from "@mogplex/contract";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isDatabaseUnavailable } from "../db/unavailable.js";
import { Failure } from "../failure.js";

export { badRequest, Failure, failure, notFound } from "../failure.js";

/** A failure raised at the edge itself, with the response headers it needs. Services throw `Failure`. */
export class ApiError extends Failure {
  constructor(
    code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message);
  }
}

export function unauthorized(message = "Authentication required", invalidToken = false): ApiError {
  return new ApiError("UNAUTHORIZED", message, {
    "WWW-Authenticate": invalidToken ? 'Bearer error="invalid_token"' : "Bearer",
  });
}

/** Seconds a client is told to wait when the database is away (a failover or restart takes about this). */
export const DATABASE_RETRY_AFTER_S = 5;

/**
 * The database is away (connection lost or refused, SQLite still locked): a 503 the client may retry, not a
 * 500. Null for any other failure.
 */
export function unavailableError(err: unknown): ApiError | null {
  if (!isDatabaseUnavailable(err)) return null;
  return new ApiError("SERVICE_UNAVAILABLE", "Database temporarily unavailable; try again shortly", {
    "Retry-After": String(DATABASE_RETRY_AFTER_S),
  });
}

export function errorResponse(c: Context, err: Failure): Response {
  const requestId = c.get("requestId") as string | undefined;
  if (err.details.retryAfterSeconds !== undefined)
    c.header("Retry-After", String(err.details.retryAfterSeconds));
  if (err instanceof ApiError) for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
  if (err.code === "INTERNAL_ERROR" && requestId) {
    // Never a stack or a cause: just something support can correlate with the logs.
    return c.json(
      { ok: false, error: { code: err.code, message: `Internal error (request ${requestId})`, requestId } },
      500,
    );
  }
  const details = err.details.approvalUrl ? { details: { approvalUrl: err.details.approvalUrl } } : {};
  return c.json(
    {
      ok: false,
      error: { code: err.code, message: err.message, ...(requestId ? { requestId } : {}), ...details },
    },
    ERROR_STATUS[err.code] as ContentfulStatusCode,
  );
}
