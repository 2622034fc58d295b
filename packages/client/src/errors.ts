// The client's one failure type: the server's envelope plus status, request id and Retry-After.
export class MogplexApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | undefined,
    readonly retryAfterSeconds: number | undefined,
    /** The envelope's `error.details` (e.g. `approvalUrl` on PAYMENT_REQUIRED), when the server sent any. */
    readonly details: { approvalUrl?: string } | undefined = undefined,
  ) {
    super(message);
    this.name = "MogplexApiError";
  }
}

/** Network failure or a response that isn't the documented envelope. */
export class MogplexTransportError extends Error {
  override readonly name: string = "MogplexTransportError";
}

/** The server could not be reached, or the connection broke or timed out: worth retrying later. */
export class MogplexNetworkError extends MogplexTransportError {
  override readonly name = "MogplexNetworkError";
}
