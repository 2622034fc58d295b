// Response envelope shared by every JSON route: {ok:true,data} or {ok:false,error:{code,message}}.
import { z } from "zod";
import { ERROR_CODES } from "./errors.js";

export const ErrorBody = z.object({
  ok: z.literal(false),
  error: z.object({
    code: z.enum(ERROR_CODES as [string, ...string[]]),
    message: z.string(),
    requestId: z.string().optional(),
    /** Machine-readable extras of some failures, e.g. `approvalUrl` on PAYMENT_REQUIRED. Never secrets. */
    details: z.object({ approvalUrl: z.string().optional() }).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export function okEnvelope<T extends z.ZodType>(data: T) {
  return z.object({ ok: z.literal(true), data });
}
