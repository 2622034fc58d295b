// Operator wallet commands: `mogplex admin wallet-topup` records money received outside Mogplex (no card
// processor) through the operator payment provider, once per Idempotency-Key.
import type { AuditContext } from "../audit/store.js";
import type { ConfigOverrides } from "../config.js";
import { OperatorPaymentProvider } from "../registry/wallet/operator-provider.js";
import { AdminError, withServices } from "./commands.js";

const ADMIN_CTX: AuditContext = { actorType: "system", actorId: null, authSource: "admin-cli" };

const dollars = (cents: number) => `$${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;

export async function walletTopup(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  a: { team: string; amountCents: string; idempotencyKey: string },
): Promise<string> {
  if (!/^\d{1,9}$/.test(a.amountCents))
    throw new AdminError("--amount-cents must be a whole number of cents");
  return withServices(env, o, async (s) => {
    const team = await s.db.db
      .selectFrom("teams")
      .select(["id", "slug"])
      .where((w) => w.or([w("id", "=", a.team), w("slug", "=", a.team)]))
      .executeTakeFirst();
    if (!team) throw new AdminError(`no team with id or slug ${a.team}`);
    const r = await s.wallet.topup(
      team.id,
      {
        amountCents: Number(a.amountCents),
        idempotencyKey: a.idempotencyKey,
        provider: new OperatorPaymentProvider(),
      },
      ADMIN_CTX,
    );
    const what = r.replayed
      ? `already recorded under this idempotency key (${dollars(r.entry.amountCents)}, nothing added)`
      : `topped up by ${dollars(r.entry.amountCents)}`;
    return `wallet of team ${team.slug} (${team.id}) ${what}: balance ${dollars(r.balanceCents)}, entry ${r.entry.id}`;
  });
}
