// The registry's Purchases seam (registry/purchases.ts) backed by the wallet: the listing's price is charged
// to the caller's team under the caller's token's spend policy; the entitlement is written in the same
// transaction (the seam's `within`).
import { failure } from "../../failure.js";
import type { PurchaseInput, Purchases } from "../purchases.js";
import type { WalletService } from "./service.js";

export function walletPurchases(wallet: WalletService): Purchases {
  return {
    async charge(input: PurchaseInput) {
      const r = await wallet.charge({
        teamId: input.teamId,
        userId: input.userId,
        tokenId: input.tokenId,
        listing: {
          name: input.name,
          vendor: input.vendorSlug,
          type: input.type,
          priceCents: input.priceCents,
        },
        idempotencyKey: input.idempotencyKey,
        ctx: input.ctx,
        within: input.within,
      });
      // A replay wrote nothing (the first call's `within` already did): say so, so the registry answers with the
      // entitlement that call created instead of one this call never wrote.
      if (r.replayed) throw failure("CONFLICT", "This purchase was already made with this Idempotency-Key");
      return { ok: true, ledgerEntryId: r.ledgerEntryId };
    },
  };
}
