// A release upload, from a token (POST /api/v1/registry/releases) or the web app: the request body as zip bytes
// within the archive limit, and the upload rate tier (the run-start windows, one per-user bucket for both).
import { rateLimitedMessage } from "@mogplex/contract";
import type { Context } from "hono";
import { failure } from "../failure.js";
import { limiterUnavailable } from "../http/steps/limits.js";
import { hitAll, LimiterUnavailableError, retryAfterSeconds } from "../limits/index.js";
import type { Services } from "../services.js";

/** Counts one upload for `userId` against the run-start windows (`upload:<user>`, shared with the PAT route). */
export async function uploadTier(s: Services, userId: string): Promise<void> {
  let d: Awaited<ReturnType<typeof hitAll>>;
  try {
    d = await hitAll(s.limiter, `upload:${userId}`, s.rules.runStarts, s.clock.now());
  } catch (err) {
    if (err instanceof LimiterUnavailableError) throw limiterUnavailable();
    throw err;
  }
  if (!d.allowed) {
    const secs = retryAfterSeconds(d);
    throw failure("RATE_LIMITED", rateLimitedMessage(secs), { retryAfterSeconds: secs });
  }
}

/** The body as bytes of `type`, refused past `limit` (413) before more than the limit is read. */
export async function zipBody(c: Context, type: string, limit: number): Promise<Buffer> {
  const got = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (got !== type) throw failure("UNSUPPORTED_MEDIA_TYPE", `Content-Type must be ${type}`);
  const declared = c.req.header("content-length");
  const tooLarge = () => failure("PAYLOAD_TOO_LARGE", `Request body exceeds ${limit} bytes`);
  if (declared !== undefined && Number(declared) > limit) throw tooLarge();
  const empty = () => failure("BAD_REQUEST", "A zip archive request body is required");
  const stream = c.req.raw.body;
  if (!stream) throw empty();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (size === 0) throw empty();
  return Buffer.concat(chunks);
}
