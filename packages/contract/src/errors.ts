// The one error vocabulary: every code the API can answer with, and its HTTP status.
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  /** A priced registry listing needs payment or an approval first (`error.details.approvalUrl` when one can be asked for). */
  PAYMENT_REQUIRED: 402,
  /** The team's monthly model budget is used up (the model endpoint); an owner or admin can raise it. */
  BUDGET_EXCEEDED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  IDEMPOTENCY_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  /** An upstream the server relies on (a model provider) could not be reached or failed. */
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** The exact message a token without the needed scope gets (fixed by the API seed). */
export function missingScopeMessage(scope: string): string {
  return `Missing required scope: ${scope}. Issue a new token with the '${scope}' scope at /settings/api-keys.`;
}

export function rateLimitedMessage(retryAfterSeconds: number): string {
  return `Rate limit exceeded. Retry after ${retryAfterSeconds}s.`;
}
