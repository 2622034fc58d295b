// The call to the provider: the client's body with the model id rewritten (and, when streaming, a usage chunk
// asked for), sent with the server-side key; a failure becomes a Failure whose message never holds a key.
import type { ChatCompletionBody } from "@mogplex/contract";
import { type Failure, failure } from "../failure.js";
import { redactKnownSecrets, redactSecretValues } from "../sanitize/index.js";
import type { Upstream } from "./access.js";

const MAX_ERROR_BYTES = 16 * 1024;

/** Text from upstream, safe to show the caller: every key the server holds removed, then known key shapes. */
export function scrub(text: string, secrets: readonly string[]): string {
  return redactSecretValues(redactKnownSecrets(text, secrets));
}

/** The text scrubbed when it holds one of the server's keys, else as it is. */
export function scrubIfHeld(text: string, secrets: readonly string[]): string {
  return secrets.some((s) => text.includes(s)) ? scrub(text, secrets) : text;
}

export async function callUpstream(
  up: Upstream & { chatBaseURL: string },
  body: ChatCompletionBody,
  signal: AbortSignal,
): Promise<Response> {
  const outgoing: Record<string, unknown> = { ...body, model: up.modelId };
  if (body.stream) outgoing.stream_options = { ...(body.stream_options ?? {}), include_usage: true };
  let res: Response;
  try {
    res = await fetch(`${up.chatBaseURL.replace(/\/+$/, "")}/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: body.stream ? "text/event-stream" : "application/json",
        ...(up.apiKey ? { authorization: `Bearer ${up.apiKey}` } : {}),
      },
      body: JSON.stringify(outgoing),
      redirect: "error",
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw err;
    throw unreachable(up);
  }
  if (!res.ok) throw await upstreamFailure(up, res);
  return res;
}

/** The provider could not be reached at all. */
export function unreachable(up: Pick<Upstream, "id">): Failure {
  return failure(
    "BAD_GATEWAY",
    `The model provider for ${up.id} could not be reached; try again shortly, and if it persists ask a team ` +
      "owner or admin to check the server's model settings",
  );
}

/** A provider's error answer as a Failure: 429 stays 429, a refused key or a 5xx is a 502, other 4xx a 400. */
export async function upstreamFailure(up: Upstream, res: Response): Promise<Failure> {
  let detail = "";
  try {
    const text = (await res.text()).slice(0, MAX_ERROR_BYTES);
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof parsed.error === "string" ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof m === "string") detail = `: ${scrub(m, up.secrets).slice(0, 500)}`;
  } catch {
    // Not JSON: the status alone says enough.
  }
  const what = `The model provider answered HTTP ${res.status} for ${up.id}${detail}`;
  if (res.status === 429) {
    const after = Number(res.headers.get("retry-after"));
    return failure("RATE_LIMITED", `${what}. Retry later.`, {
      retryAfterSeconds: Number.isFinite(after) && after >= 1 ? Math.ceil(after) : 30,
    });
  }
  if (res.status === 401 || res.status === 403) {
    return failure(
      "BAD_GATEWAY",
      `${what}. The server's credentials for ${up.provider} were refused; ask a team owner or admin to check the provider key.`,
    );
  }
  if (res.status >= 400 && res.status < 500) return failure("BAD_REQUEST", what);
  return failure("BAD_GATEWAY", `${what}. Try again shortly.`);
}
