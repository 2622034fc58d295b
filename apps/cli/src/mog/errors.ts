// The `mog` failures and how every failure becomes its envelope error and exit code (0 ok, 1 error, 2 approval).
import { isPackageError, ReleaseVerificationError } from "@mogplex/pkgfmt";
import { describeError } from "../errors.js";

export const MOG_EXIT = { ok: 0, error: 1, approval: 2 } as const;
export type MogExit = (typeof MOG_EXIT)[keyof typeof MOG_EXIT];

export class MogError extends Error {
  override readonly name = "MogError";
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** A failure the registry server answered: its error code and message, HTTP status and request id. */
export class RegistryError extends MogError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
    readonly requestId: string | undefined,
    details?: Record<string, unknown>,
  ) {
    super(code, message, details);
  }
}

/** The release statement's Ed25519 signature does not verify (or the statement does not say what was asked). */
export const signatureError = (why: string) =>
  new MogError("SIGNATURE_INVALID", `Release signature verification failed: ${why}; nothing was written`);

/** The bytes (archive or a file in it) are not the ones the registry signed. */
export const integrityError = (why: string) =>
  new MogError("INTEGRITY_MISMATCH", `Package integrity check failed: ${why}; nothing was written`);

/** A pkgfmt release check's failure as mog's error for its kind; anything else as it was. */
export const fromReleaseError = (err: unknown): unknown =>
  err instanceof ReleaseVerificationError
    ? (err.kind === "signature" ? signatureError : integrityError)(err.why)
    : err;

/** A priced listing (or a spend policy) needs a team owner's approval first: exit 2. */
export class ApprovalRequiredError extends MogError {
  constructor(
    message: string,
    readonly approvalUrl: string,
  ) {
    super("APPROVAL_REQUIRED", `${message}: approve it at ${approvalUrl}, then run the command again`, {
      approvalUrl,
    });
  }
}

export interface MogFailure {
  exitCode: MogExit;
  code: string;
  message: string;
  status?: number;
  requestId?: string;
  details?: Record<string, unknown>;
}

export function describeMogError(err: unknown): MogFailure {
  if (err instanceof ApprovalRequiredError)
    return { exitCode: MOG_EXIT.approval, code: err.code, message: err.message, details: err.details };
  if (err instanceof RegistryError)
    return {
      exitCode: MOG_EXIT.error,
      code: err.code,
      message: err.message,
      status: err.status,
      requestId: err.requestId,
      details: err.details,
    };
  if (err instanceof MogError)
    return { exitCode: MOG_EXIT.error, code: err.code, message: err.message, details: err.details };
  if (isPackageError(err)) {
    const details = Object.keys(err.details).length ? { ...err.details } : undefined;
    return { exitCode: MOG_EXIT.error, code: err.code, message: err.message, details };
  }
  const d = describeError(err);
  return {
    exitCode: MOG_EXIT.error,
    code: d.code,
    message: d.message.replaceAll("mogplex login", "mog auth").replaceAll("MOGPLEX_API_KEY", "MOG_TOKEN"),
    status: d.status,
    requestId: d.requestId,
  };
}
