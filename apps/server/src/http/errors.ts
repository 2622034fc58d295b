// Typed failures services raise, and the one place they become the JSON error envelope.
import { ERROR_STATUS, type ErrorCode } from "@mogplex/contract";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (what = "Resource") => new ApiError("NOT_FOUND", `${what} not found`);
export const badRequest = (message: string) => new ApiError("BAD_REQUEST", message);

export function unauthorized(message = "Authentication required", invalidToken = false): ApiError {
  return new ApiError("UNAUTHORIZED", message, {
    "WWW-Authenticate": invalidToken ? 'Bearer error="invalid_token"' : "Bearer",
  });
}

export function errorResponse(c: Context, err: ApiError): Response {
  const requestId = c.get("requestId") as string | undefined;
  for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
  if (err.code === "INTERNAL_ERROR" && requestId) {
    // Never a stack or a cause: just something support can correlate with the logs.
    return c.json(
      { ok: false, error: { code: err.code, message: `Internal error (request ${requestId})`, requestId } },
      500,
    );
  }
  return c.json(
    { ok: false, error: { code: err.code, message: err.message, ...(requestId ? { requestId } : {}) } },
    ERROR_STATUS[err.code] as ContentfulStatusCode,
  );
}
