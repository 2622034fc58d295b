// Reads a JSON request body within the size limit, enforcing the content type, before any parsing.
import type { Context } from "hono";
import { ApiError } from "./errors.js";

export async function readJsonBody(
  c: Context,
  limitBytes: number,
  opts: { optional?: boolean } = {},
): Promise<unknown> {
  const declared = c.req.header("content-length");
  if (declared !== undefined && Number(declared) > limitBytes) throw tooLarge(limitBytes);
  const stream = c.req.raw.body;
  const hasBody = stream !== null && declared !== "0";
  if (!hasBody) {
    if (opts.optional) return undefined;
    throw new ApiError("BAD_REQUEST", "A JSON request body is required");
  }
  const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limitBytes);
    }
    chunks.push(value);
  }
  if (size === 0) {
    if (opts.optional) return undefined;
    throw new ApiError("BAD_REQUEST", "A JSON request body is required");
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError("BAD_REQUEST", "Request body is not valid JSON");
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError("PAYLOAD_TOO_LARGE", `Request body exceeds ${limit} bytes`);
}
