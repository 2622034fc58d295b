// The wallet's HTTP edge: public PAT routes under /api/v1/registry (WALLET_ROUTES) and the web app's session
// routes (WALLET_SESSION_ROUTES: wallet, spend policies, approvals).
import {
  type ApprovalListQuery,
  REGISTRY_BASE,
  type SpendPolicyInput,
  type TopupRequest,
  WALLET_ROUTES,
  type WalletRouteName,
} from "@mogplex/contract";
import type { Hono } from "hono";
import type { z } from "zod";
import { ApiError } from "../../http/errors.js";
import { enforceLimit } from "../../http/middleware.js";
import { type PublicHandler, specRoute } from "../../http/public-route.js";
import { sessionRoute } from "../../http/session-route.js";
import { type AppEnv, auditContext } from "../../http/types.js";
import type { Services } from "../../services.js";

export const NO_PROVIDER =
  "Top-ups need a payment provider and this server has none configured; the operator adds funds with " +
  "`mogplex admin wallet-topup`";

function walletRoute<B>(app: Hono<AppEnv>, s: Services, name: WalletRouteName, handler: PublicHandler<B>) {
  const spec = WALLET_ROUTES[name];
  specRoute(app, s, spec, REGISTRY_BASE + spec.path, handler as PublicHandler<unknown>);
}

export function registerWalletRoutes(app: Hono<AppEnv>, s: Services): void {
  walletRoute(app, s, "getWallet", async (c, { principal }) => {
    return c.json({ ok: true, data: { wallet: await s.wallet.wallet(principal.teamId) } });
  });

  walletRoute<TopupRequest>(app, s, "createTopup", async (c, { principal, body, idempotencyKey }) => {
    if (principal.role !== "owner")
      throw new ApiError("FORBIDDEN", "Only a team owner can top up the wallet");
    // Money moves on the strict per-user tier (the one that mints credentials), on top of the token's limit.
    const limited = await enforceLimit(
      c,
      s.limiter,
      `user:wallet:${principal.userId}`,
      s.rules.tokenCreate,
      s.clock,
    );
    if (limited) return limited;
    const provider = s.wallet.provider;
    if (!provider) throw new ApiError("FORBIDDEN", NO_PROVIDER);
    const data = await s.wallet.topup(
      principal.teamId,
      { amountCents: body.amountCents, idempotencyKey: idempotencyKey as string, provider },
      auditContext(c, principal),
    );
    return c.json({ ok: true, data }, data.replayed ? 200 : 201);
  });

  walletRoute(app, s, "getSpendPolicy", async (c, { principal }) => {
    return c.json({ ok: true, data: { policy: await s.wallet.policyOf(principal.tokenId) } });
  });

  sessionRoute(app, s, "webWallet", async (c, { team }) => c.json(await s.wallet.wallet(team.teamId)));

  sessionRoute(app, s, "listSpendPolicies", async (c, { team }) =>
    c.json({ tokens: await s.wallet.listPolicies(team.teamId) }),
  );

  sessionRoute(app, s, "setSpendPolicy", async (c, { principal, team, body }) => {
    const policy = await s.wallet.setPolicy(
      team,
      c.req.param("tokenId") ?? "",
      body as SpendPolicyInput,
      auditContext(c, principal),
    );
    return c.json({ policy });
  });

  sessionRoute(app, s, "listSpendApprovals", async (c, { team, query }) => {
    const status = (query as z.infer<typeof ApprovalListQuery>).status;
    return c.json({ approvals: await s.wallet.listApprovals(team.teamId, status) });
  });

  sessionRoute(app, s, "getSpendApproval", async (c, { team }) =>
    c.json({ approval: await s.wallet.approval(team.teamId, c.req.param("id") ?? "") }),
  );

  for (const [name, decision] of [
    ["approveSpend", "approve"],
    ["denySpend", "deny"],
  ] as const) {
    sessionRoute(app, s, name, async (c, { principal, team }) => {
      const id = c.req.param("id") ?? "";
      return c.json({ approval: await s.wallet.decide(team, id, decision, auditContext(c, principal)) });
    });
  }
}
