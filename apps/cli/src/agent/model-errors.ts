// A failed model call as a CliError: the HTTP status decides the exit code (errors.ts), the message comes from
// the server's envelope ({ ok:false, error:{ code, message } }) or the provider's error body, never a secret.
import { CliError, EXIT, statusExit } from "../errors.js";

interface CallErrorLike {
  statusCode?: number;
  responseBody?: string;
  message: string;
  name?: string;
  lastError?: unknown;
}

function bodyMessage(body: string | undefined): { code?: string; message?: string } {
  if (!body) return {};
  try {
    const j = JSON.parse(body) as {
      error?: { code?: unknown; message?: unknown } | string;
      message?: unknown;
    };
    const e = j.error;
    if (typeof e === "string") return { message: e };
    return {
      code: typeof e?.code === "string" ? e.code : undefined,
      message:
        typeof e?.message === "string" ? e.message : typeof j.message === "string" ? j.message : undefined,
    };
  } catch {
    return {};
  }
}

export function modelError(err: unknown, via: string): CliError {
  if (err instanceof CliError) return err;
  let e = err as CallErrorLike;
  // Retries wrap the last attempt's error.
  if (e?.name === "AI_RetryError" && e.lastError) e = e.lastError as CallErrorLike;
  const status = e?.statusCode;
  if (typeof status === "number") {
    const b = bodyMessage(e.responseBody);
    const what = b.message ?? e.message;
    const hint = status === 401 ? " (check the credential: run `mogplex login`, or fix the API key)" : "";
    return new CliError(
      `the model call failed (${via}, HTTP ${status}): ${what}${hint}`,
      statusExit(status),
      b.code ?? `HTTP_${status}`,
    );
  }
  const msg = e?.message ?? String(err);
  if (/fetch failed|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|socket/i.test(msg) || e?.name === "AI_APICallError") {
    return new CliError(`cannot reach the model (${via}): ${msg}`, EXIT.temporary, "NETWORK");
  }
  return new CliError(`the model call failed (${via}): ${msg}`, EXIT.error, "MODEL_ERROR");
}
