// Which database failures mean "the database is away for now" (answer 503 + Retry-After, retry later) rather
// than a bug: a PostgreSQL session that was ended or could not be opened, or SQLite still locked after its
// busy timeout.

/** A query failed because the connection to the database is gone or could not be made; retrying later helps. */
export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";
  constructor(cause: unknown) {
    super(`Database unavailable: ${describe(cause)}`, { cause });
  }
}

// SQLSTATE classes and codes that mean the session, not the statement, failed.
// 08xxx connection exception; 57P01 admin_shutdown (pg_terminate_backend, failover), 57P02 crash_shutdown,
// 57P03 cannot_connect_now (starting up, recovery), 57P05 idle_session_timeout; 53300 too_many_connections.
const SESSION_CODES = new Set(["57P01", "57P02", "57P03", "57P05", "53300"]);
// The socket itself: refused, reset, timed out, unreachable, name not resolving.
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EADDRNOTAVAIL",
]);
// What pg says when the socket went away under it, or the pool could not open one in time.
const PG_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /not queryable/,
  /^Client was closed and is not queryable/,
];

const codeOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
};

/** A failure of the PostgreSQL connection (driver or socket), as opposed to one of the statement. */
export function isConnectionFailure(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 4) return false;
  if (err instanceof DatabaseUnavailableError) return true;
  const code = codeOf(err);
  if (code && (SESSION_CODES.has(code) || SOCKET_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code)))
    return true;
  if (PG_MESSAGES.some((re) => re.test(err.message))) return true;
  // Connecting to a name with several addresses fails with one error per address.
  if (err instanceof AggregateError && err.errors.some((e) => isConnectionFailure(e, depth + 1))) return true;
  return false;
}

/** SQLite still locked by another connection after busy_timeout: the write can be retried shortly. */
export function isSqliteBusy(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

/** Anything that should reach a client as 503 + Retry-After: the database, not the request, is the problem. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e instanceof Error && i < 5; e = e.cause, i++) {
    if (e instanceof DatabaseUnavailableError || isSqliteBusy(e)) return true;
  }
  return false;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = codeOf(err);
  return code ? `${err.message} (${code})` : err.message;
}
