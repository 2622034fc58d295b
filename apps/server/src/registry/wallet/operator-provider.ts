// The one payment provider that ships: an operator recording money received outside Mogplex (an invoice paid,
// a transfer). No card processor. Its reference is derived from the team and key, so a retry names the same one.
import { createHash } from "node:crypto";
import type { PaymentProvider } from "./types.js";

export class OperatorPaymentProvider implements PaymentProvider {
  readonly name = "operator";

  async topup(input: { teamId: string; amountCents: number; idempotencyKey: string }) {
    const digest = createHash("sha256")
      .update(`${input.teamId}\n${input.idempotencyKey}`)
      .digest("hex")
      .slice(0, 24);
    return { providerRef: `operator_${digest}` };
  }
}
