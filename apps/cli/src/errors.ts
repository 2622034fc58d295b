// Every failure the CLI can end with, and the ONE place it becomes an exit code and a message.

export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  unauthenticated: 64,
  forbidden: 65,
  unavailable: 69,
  temporary: 75,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage, "USAGE");
  }
}

/** A bad environment value or a broken local file: one line naming what to fix. */
export class ConfigError extends CliError {
  constructor(message: string) {
    super(message, EXIT.error, "CONFIG");
  }
}

export class NotAuthenticatedError extends CliError {
  constructor(message: string) {
    super(message, EXIT.unauthenticated, "UNAUTHENTICATED");
  }
}

export class LoginFailedError extends CliError {
  constructor(message: string, code: "access_denied" | "expired_token" | "login_failed") {
    super(message, code === "access_denied" ? EXIT.forbidden : EXIT.error, code.toUpperCase());
  }
}

export class TemporaryError extends CliError {
  constructor(message: string, retryAfterSeconds?: number) {
    super(message, EXIT.temporary, "TEMPORARY", retryAfterSeconds);
  }
}

/** `runs events --follow` watched the run to its end, and it ended failed or cancelled. */
export class RunNotSuccessfulError extends CliError {
  constructor(runId: string, status: string) {
    super(`run ${runId} ended ${status}`, EXIT.error, `RUN_${status.toUpperCase()}`);
  }
}

export class UnavailableError extends CliError {
  constructor(message: string, retryAfterSeconds?: number) {
    super(message, EXIT.unavailable, "SERVICE_UNAVAILABLE", retryAfterSeconds);
  }
}

/** The client's errors, recognised by name so that failing never has to load the client. */
interface ApiErrorLike {
  name: "MogplexApiError";
  message: string;
  status: number;
  code: string;
  requestId?: string;
  retryAfterSeconds?: number;
}
const isApiError = (e: unknown): e is ApiErrorLike => (e as { name?: unknown })?.name === "MogplexApiError";

export interface Described {
  exitCode: ExitCode;
  code: string;
  message: string;
  status?: number;
  retryAfterSeconds?: number;
  requestId?: string;
}

export function statusExit(status: number): ExitCode {
  if (status === 401) return EXIT.unauthenticated;
  if (status === 403) return EXIT.forbidden;
  if (status === 429) return EXIT.temporary;
  if (status === 503) return EXIT.unavailable;
  return EXIT.error;
}

export function describeError(err: unknown): Described {
  if (err instanceof CliError) {
    return {
      exitCode: err.exitCode,
      code: err.code,
      message: err.message,
      retryAfterSeconds: err.retryAfterSeconds,
    };
  }
  if (isApiError(err)) {
    const hint = err.status === 401 ? " (run `mogplex login`, or check MOGPLEX_API_KEY)" : "";
    return {
      exitCode: statusExit(err.status),
      code: err.code,
      message: `${err.message}${hint}`,
      status: err.status,
      retryAfterSeconds: err.retryAfterSeconds,
      requestId: err.requestId,
    };
  }
  const name = (err as Error)?.name;
  const message = (err as Error)?.message ?? String(err);
  if (name === "MogplexNetworkError") return { exitCode: EXIT.temporary, code: "NETWORK", message };
  // `mogplex serve|admin` raise their own UsageError; everything else the server package throws is an error.
  if ((err as Error)?.constructor?.name === "UsageError")
    return { exitCode: EXIT.usage, code: "USAGE", message };
  return { exitCode: EXIT.error, code: name === "MogplexTransportError" ? "BAD_RESPONSE" : "ERROR", message };
}

/** Prints the failure (one line, plus Retry-After when the server sent one) and returns the exit code. */
export function reportError(err: unknown, o: { json: boolean; write: (s: string) => void }): Described {
  const d = describeError(err);
  if (o.json) {
    o.write(`${JSON.stringify({ error: d })}\n`);
    return d;
  }
  const rid = d.requestId ? ` (request ${d.requestId})` : "";
  o.write(`mogplex: ${d.message}${rid}\n`);
  if (d.retryAfterSeconds !== undefined) o.write(`Retry-After: ${d.retryAfterSeconds} s\n`);
  return d;
}
