// The wallet's session routes (the web app): the team's wallet, per-token spend policies (owners and admins
// set them) and spend approvals (owners decide). Merged into SESSION_ROUTES. Changing money rules shares the
// strict per-user tier of minting credentials.
import { z } from "zod";
import { R404, sessionSpec as r, W404 } from "./session-spec.js";
import { ApprovalListQuery, SpendApproval, SpendPolicy, SpendPolicyInput, Wallet } from "./wallet.js";

export const TokenSpendPolicy = z.object({
  tokenId: z.string(),
  name: z.string(),
  prefix: z.string(),
  userId: z.string(),
  revoked: z.boolean(),
  policy: SpendPolicy.nullable(),
});

export const WALLET_SESSION_ROUTES = {
  webWallet: r({
    method: "get",
    path: "/api/teams/{teamId}/wallet",
    summary: "The team's wallet: balance and the newest ledger entries",
    team: "path",
    role: "member",
    response: Wallet,
    errors: R404,
  }),
  listSpendPolicies: r({
    method: "get",
    path: "/api/teams/{teamId}/spend-policies",
    summary: "Every token of the team with its spend policy",
    team: "path",
    role: "admin",
    response: z.object({ tokens: z.array(TokenSpendPolicy) }),
    errors: R404,
  }),
  setSpendPolicy: r({
    method: "post",
    path: "/api/teams/{teamId}/spend-policies/{tokenId}",
    summary: "Set (replace) a team token's spend policy",
    team: "path",
    role: "admin",
    limit: "tokenCreate",
    body: SpendPolicyInput,
    bodyRequired: true,
    errors: W404,
  }),
  listSpendApprovals: r({
    method: "get",
    path: "/api/teams/{teamId}/approvals",
    summary: "The team's spend approval requests, newest first",
    team: "path",
    role: "member",
    query: ApprovalListQuery,
    response: z.object({ approvals: z.array(SpendApproval) }),
    errors: R404,
  }),
  getSpendApproval: r({
    method: "get",
    path: "/api/teams/{teamId}/approvals/{id}",
    summary: "One spend approval request (the page an approvalUrl opens)",
    team: "path",
    role: "member",
    errors: R404,
  }),
  approveSpend: r({
    method: "post",
    path: "/api/teams/{teamId}/approvals/{id}/approve",
    summary: "Approve a pending purchase: the same token's retry of it then goes through once",
    team: "path",
    role: "owner",
    limit: "tokenCreate",
    errors: [...W404, "CONFLICT"],
  }),
  denySpend: r({
    method: "post",
    path: "/api/teams/{teamId}/approvals/{id}/deny",
    summary: "Deny a pending purchase",
    team: "path",
    role: "owner",
    limit: "tokenCreate",
    errors: [...W404, "CONFLICT"],
  }),
};
