// The body-limit step: a JSON request body within `limitBytes`, its Content-Type enforced before any parsing.
import type { Context } from "hono";
import { readJsonBody } from "../body.js";
import { ApiError } from "../errors.js";

/**
 * With a declared length within the limit and a JSON
 * Content-Type, the buffered body is read straight off the socket: building a full Web Request per call costs
 * more than the rest of a hot path. Anything else goes through the streaming reader that enforces the limit.
 * Throws BAD_REQUEST, PAYLOAD_TOO_LARGE or UNSUPPORTED_MEDIA_TYPE.
 */
export async function jsonBody(
  c: Context,
  limitBytes: number,
  opts: { optional?: boolean } = {},
): Promise<unknown> {
  const declared = c.req.header("content-length");
  const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (
    declared &&
    /^\d+$/.test(declared) &&
    Number(declared) > 0 &&
    Number(declared) <= limitBytes &&
    type === "application/json"
  ) {
    // A socket's parser never delivers more than declared; an in-process request can, so the size is checked.
    const buf = Buffer.from(await c.req.raw.arrayBuffer());
    if (buf.byteLength > limitBytes) {
      throw new ApiError("PAYLOAD_TOO_LARGE", `Request body exceeds ${limitBytes} bytes`);
    }
    try {
      // Decoded as the streaming reader does (a byte-order mark is not stripped: it is not JSON).
      return JSON.parse(buf.toString("utf8")) as unknown;
    } catch {
      throw new ApiError("BAD_REQUEST", "Request body is not valid JSON");
    }
  }
  return readJsonBody(c, limitBytes, opts);
}
