// Personal access token management shapes (session-only routes under /api/settings/api-keys).
import { z } from "zod";
import { IpAllowlist, IsoDate, SCOPES } from "./common.js";

export const CreateTokenRequest = z
  .object({
    name: z.string().trim().min(1, "name must be 1-100 characters").max(100, "name must be 1-100 characters"),
    scopes: z
      .array(z.string(), { error: "scopes must be an array" })
      .min(1, "scopes must not be empty")
      .max(10)
      .superRefine((list, ctx) => {
        // Name the allowed values, never echo the bad one back.
        if (list.some((s) => !(SCOPES as readonly string[]).includes(s))) {
          ctx.addIssue({ code: "custom", message: `scopes must be among: ${SCOPES.join(", ")}` });
        }
      })
      .transform((list) => [...new Set(list)] as Array<(typeof SCOPES)[number]>)
      .optional(),
    expiresInDays: z
      .number({ error: "expiresInDays must be a positive integer" })
      .int("expiresInDays must be a positive integer")
      .positive("expiresInDays must be a positive integer")
      .max(3650, "expiresInDays must be at most 3650")
      .optional(),
    ipAllowlist: IpAllowlist.optional(),
  })
  .strict();
export type CreateTokenRequest = z.infer<typeof CreateTokenRequest>;

export const CreatedToken = z.object({
  id: z.string(),
  token: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  expiresAt: IsoDate.nullable(),
});
export type CreatedToken = z.infer<typeof CreatedToken>;

export const TokenSummary = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  createdAt: IsoDate,
  lastUsedAt: IsoDate.nullable(),
  expiresAt: IsoDate.nullable(),
  ipAllowlist: z.array(z.string()).nullable(),
});
export type TokenSummary = z.infer<typeof TokenSummary>;
