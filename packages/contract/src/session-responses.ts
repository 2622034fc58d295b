// Response shapes of the session routes (the web app's backend) that the web app reads: declared once here,
// attached to the session-route table (so the OpenAPI document has them) and imported by apps/web as types.
import { z } from "zod";
import { IsoDate } from "./common.js";
import { RoleSchema } from "./session-bodies.js";

export const Membership = z.object({
  teamId: z.string(),
  slug: z.string(),
  name: z.string(),
  role: RoleSchema,
});
export type Membership = z.infer<typeof Membership>;

/** GET /api/web/session: what the app shell renders from (never the session token itself). */
export const WebSession = z.object({
  user: z.object({ id: z.string(), email: z.string(), name: z.string(), twoFactorEnabled: z.boolean() }),
  teams: z.array(Membership),
  activeTeamId: z.string().nullable(),
});
export type WebSession = z.infer<typeof WebSession>;

export const Member = z.object({
  userId: z.string(),
  name: z.string(),
  email: z.string(),
  role: RoleSchema,
  joinedAt: IsoDate,
});
export type Member = z.infer<typeof Member>;

export const Invitation = z.object({
  id: z.string(),
  email: z.string(),
  role: RoleSchema,
  createdAt: IsoDate,
  expiresAt: IsoDate,
  status: z.enum(["pending", "accepted", "revoked", "expired"]),
});
export type Invitation = z.infer<typeof Invitation>;

/** One of the user's browser sessions (GET /api/me/sessions). */
export const SessionRow = z.object({
  id: z.string(),
  current: z.boolean(),
  createdAt: IsoDate,
  lastActiveAt: IsoDate,
  expiresAt: IsoDate,
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
});
export type SessionRow = z.infer<typeof SessionRow>;

export const AuditEvent = z.object({
  id: z.string(),
  seq: z.number(),
  actor: z.object({ type: z.string(), id: z.string().nullable() }),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  authSource: z.string().nullable(),
  payload: z.unknown(),
  createdAt: IsoDate,
});
export type AuditEvent = z.infer<typeof AuditEvent>;

/** A pending device code as the approval page shows it (ages on the server's clock). */
export const PendingDeviceRequest = z.object({
  userCode: z.string(),
  requestedAt: IsoDate,
  expiresAt: IsoDate,
  requestedSecondsAgo: z.number(),
  expiresInSeconds: z.number(),
  requesterIp: z.string().nullable(),
  requesterAgent: z.string().nullable(),
  /** Which CLI asked, which decides the token's scopes: `mogplex` (read, write) or `mog` (the registry's). */
  client: z.enum(["mogplex", "mog"]),
});
export type PendingDeviceRequest = z.infer<typeof PendingDeviceRequest>;

const ok = <T extends z.ZodType>(data: T) => z.object({ ok: z.literal(true), data });

export const SESSION_RESPONSES = {
  listTeams: z.object({ teams: z.array(Membership) }),
  getMe: z.object({
    user: z.object({ id: z.string(), email: z.string(), name: z.string() }),
    teams: z.array(Membership),
  }),
  listMySessions: z.object({ sessions: z.array(SessionRow) }),
  listMembers: z.object({ members: z.array(Member) }),
  listInvitations: z.object({ invitations: z.array(Invitation) }),
  listAuditEvents: z.object({ events: z.array(AuditEvent), nextCursor: z.string().nullable() }),
  webSession: ok(WebSession),
  webDeviceRequest: ok(PendingDeviceRequest),
};
