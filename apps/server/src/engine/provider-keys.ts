// Team provider keys: model-provider API keys a team stores with the server, sealed at rest.
import type { Kysely } from "kysely";
import type { Clock } from "../clock.js";
import type { DB } from "../db/schema.js";
import type { Keyring } from "../security/envelope.js";

// The AAD binds a sealed key to its team and provider, so a row copied elsewhere does not open.
const context = (teamId: string, provider: string) => `team-provider-key:${teamId}:${provider}`;

export const PROVIDER_NAME = /^[a-z][a-z0-9-]{0,39}$/;

export class ProviderKeyStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
  ) {}

  async set(teamId: string, provider: string, key: string): Promise<void> {
    if (!PROVIDER_NAME.test(provider)) throw new Error("provider must be a lowercase provider name");
    if (key.trim().length === 0) throw new Error("the key is empty");
    const now = this.clock.now();
    const sealed = this.keyring.encrypt(key.trim(), context(teamId, provider));
    await this.db
      .insertInto("team_provider_keys")
      .values({ team_id: teamId, provider, key_enc: sealed, created_at: now, updated_at: now })
      .onConflict((oc) =>
        oc.columns(["team_id", "provider"]).doUpdateSet({ key_enc: sealed, updated_at: now }),
      )
      .execute();
  }

  async get(teamId: string, provider: string): Promise<string | null> {
    const row = await this.db
      .selectFrom("team_provider_keys")
      .select("key_enc")
      .where("team_id", "=", teamId)
      .where("provider", "=", provider)
      .executeTakeFirst();
    return row ? this.keyring.decrypt(row.key_enc, context(teamId, provider)) : null;
  }

  async remove(teamId: string, provider: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom("team_provider_keys")
      .where("team_id", "=", teamId)
      .where("provider", "=", provider)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
