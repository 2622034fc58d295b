// Request bodies and query strings of the session routes (the web app's backend), parsed by the server's
// sessionRoute builder from the session-route table.
import { z } from "zod";
import { ROLES } from "./principals.js";

export const RoleSchema = z.enum(ROLES);

const NONCE_RE = /^[0-9a-f]{32}$/;
const CHALLENGE_RE = /^[A-Za-z0-9_-]{43}$/;
const Nonce = z.string().regex(NONCE_RE, "nonce must be 32 lowercase hex characters");

export const SetupBody = z
  .object({
    token: z.string().min(1).max(200),
    email: z.string().max(254),
    name: z.string().max(100),
    password: z.string().max(256),
    team: z.string().max(40).optional(),
  })
  .strict();
export const InviteSignUpBody = z
  .object({ token: z.string().min(1).max(200), name: z.string().max(100), password: z.string().max(256) })
  .strict();
export const DeleteAccountBody = z.object({ confirm: z.string().max(254) }).strict();
export const InviteBody = z.object({ email: z.email().max(254), role: RoleSchema }).strict();
export const RoleChangeBody = z.object({ role: RoleSchema }).strict();
export const AcceptInvitationBody = z.object({ token: z.string().min(1).max(200) }).strict();
export const AddRepoBody = z
  .object({
    fullName: z.string().max(201),
    cloneUrl: z.string().min(1, "cloneUrl is required").max(2048),
    defaultBranch: z.string().min(1).max(255).optional(),
    rootDirectory: z.string().max(1024).optional(),
  })
  .strict();
export const CliConsentBody = z
  .object({
    callback: z.string().max(100),
    nonce: Nonce,
    codeChallenge: z
      .string()
      .regex(CHALLENGE_RE, "codeChallenge must be a base64url SHA-256 (43 characters)"),
    codeChallengeMethod: z.literal("S256", { error: "codeChallengeMethod must be S256" }),
    team: z.string().max(64).optional(),
  })
  .strict();
export const CliDenyBody = z.object({ callback: z.string().max(100), nonce: Nonce }).strict();
export const DeviceDecisionBody = z
  .object({ userCode: z.string().max(20), team: z.string().max(64).optional() })
  .strict();
export const ConnectionListQuery = z.object({ repoId: z.string().max(64).optional() }).strict();
