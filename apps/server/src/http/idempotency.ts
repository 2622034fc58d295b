// The Idempotency-Key rule shared by every route that starts something: present, not blank, ≤ 200 characters.
import type { Context } from "hono";
import { ApiError } from "./errors.js";

export const IDEMPOTENCY_KEY_MAX = 200;

export function requireIdempotencyKey(c: Context): string {
  const key = c.req.header("idempotency-key");
  if (key === undefined || key.trim() === "") {
    throw new ApiError("BAD_REQUEST", "Idempotency-Key is required");
  }
  if (key.length > IDEMPOTENCY_KEY_MAX) {
    throw new ApiError("BAD_REQUEST", `Idempotency-Key must be at most ${IDEMPOTENCY_KEY_MAX} characters`);
  }
  return key;
}
