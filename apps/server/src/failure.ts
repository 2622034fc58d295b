// The one failure type services and leaf modules throw: a contract error code (packages/contract's error
// table), a message safe to show the caller, and optional details. They never speak HTTP; `http/errors.ts`
// is the one place a Failure becomes a status, headers and the JSON envelope.
import type { ErrorCode } from "@mogplex/contract";

export interface FailureDetails {
  /** The caller may try again after this many seconds (a rate limit, a dependency away). */
  retryAfterSeconds?: number;
  /** Where a person can approve what was refused (a purchase over a spend policy): sent as error.details. */
  approvalUrl?: string;
}

export class Failure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: FailureDetails = {},
  ) {
    super(message);
    this.name = "Failure";
  }
}

export const failure = (code: ErrorCode, message: string, details?: FailureDetails): Failure =>
  new Failure(code, message, details);

export const notFound = (what = "Resource"): Failure => failure("NOT_FOUND", `${what} not found`);
export const badRequest = (message: string): Failure => failure("BAD_REQUEST", message);
