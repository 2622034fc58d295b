// The wallet's public routes (under /api/v1/registry, PAT auth, same envelope): read the team's wallet and the
// calling token's own spend policy, and top up (a team owner, through the server's payment provider). Setting
// policies and deciding approvals are session-only (wallet-session.ts): a token must never loosen its own limits.
import { z } from "zod";
import type { ErrorCode } from "./errors.js";
import type { RouteSpec } from "./routes.js";
import { SpendPolicy, TopupRequest, TopupResult, Wallet } from "./wallet.js";

const AUTHED: ErrorCode[] = [
  "UNAUTHORIZED",
  "FORBIDDEN",
  "RATE_LIMITED",
  "SERVICE_UNAVAILABLE",
  "INTERNAL_ERROR",
];
const READ: ErrorCode[] = [...AUTHED, "BAD_REQUEST"];
const WRITE: ErrorCode[] = [...READ, "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"];

export const WALLET_ROUTES = {
  getWallet: {
    method: "get",
    path: "/wallet",
    summary: "The team's wallet: balance (the sum of its append-only ledger) and the newest entries",
    auth: "pat",
    scope: "read",
    response: z.object({ wallet: Wallet }),
    errors: READ,
  },
  createTopup: {
    method: "post",
    path: "/wallet/topups",
    summary:
      "Add money to the team's wallet through the server's payment provider (team owner, `purchase` scope, " +
      "Idempotency-Key required: a retry adds nothing); 403 when the server has no provider configured",
    auth: "pat",
    scope: "purchase",
    body: TopupRequest,
    idempotent: true,
    response: TopupResult,
    successStatus: 201,
    errors: [...WRITE, "IDEMPOTENCY_CONFLICT"],
  },
  getSpendPolicy: {
    method: "get",
    path: "/wallet/policy",
    summary: "The spend policy of the token making this request (null: no policy, nothing limited)",
    auth: "pat",
    scope: "read",
    response: z.object({ policy: SpendPolicy.nullable() }),
    errors: READ,
  },
} satisfies Record<string, RouteSpec>;

export type WalletRouteName = keyof typeof WALLET_ROUTES;
