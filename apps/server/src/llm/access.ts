// Which upstream a model endpoint request goes to: the team's allowlist (a refusal is audited as model.denied,
// as for runs), then the engine's one resolver for credentials (team key, else the server's env key;
// openai-compatible/* through MOGPLEX_OPENAI_COMPATIBLE_*). Providers that speak OpenAI's chat-completions dialect
// are relayed (upstream.ts, relay.ts); Anthropic is translated (anthropic.ts).
import type { LlmModelList } from "@mogplex/contract";
import type { Kysely } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import type { Clock } from "../clock.js";
import type { EngineConfig } from "../config/engine.js";
import type { DB } from "../db/schema.js";
import {
  type ModelCredentials,
  ModelSetupError,
  resolveCredentials,
  serverModelSecrets,
  splitModelId,
} from "../engine/models.js";
import { ProviderKeyStore } from "../engine/provider-keys.js";
import { badRequest, failure } from "../failure.js";
import type { ModelService } from "../models/service.js";
import type { Keyring } from "../security/envelope.js";

export interface LlmAccessDeps {
  db: Kysely<DB>;
  audit: AuditLog;
  clock: Clock;
  keyring: Keyring;
  engine: EngineConfig;
  models: ModelService;
}

/**
 * An upstream the endpoint can forward to, with its key: an OpenAI chat-completions base URL, or none for Anthropic
 * (anthropic.ts); `secrets` are every key to scrub from what the provider says.
 */
export type Upstream = ModelCredentials & { secrets: string[] };

export class LlmAccess {
  private readonly keys: ProviderKeyStore;

  constructor(private readonly d: LlmAccessDeps) {
    this.keys = new ProviderKeyStore(d.db, d.keyring, d.clock);
  }

  async resolve(teamId: string, model: string, ctx: AuditContext): Promise<Upstream> {
    const parts = splitModelId(model);
    if (!parts) {
      throw badRequest(`model "${model}" must look like provider/model; GET /llm/v1/models lists the ids`);
    }
    const team = await this.d.db
      .selectFrom("teams")
      .select(["slug", "allowed_models"])
      .where("id", "=", teamId)
      .executeTakeFirstOrThrow();
    if (team.allowed_models !== null && !(JSON.parse(team.allowed_models) as string[]).includes(model)) {
      await this.d.db.transaction().execute((trx) =>
        this.d.audit.append(trx, ctx, {
          teamId,
          action: "model.denied",
          targetType: "team",
          targetId: teamId,
          payload: { model, via: "llm-endpoint" },
        }),
      );
      throw failure("FORBIDDEN", `Model ${model} is not in this team's model catalogue`);
    }
    let creds: ModelCredentials;
    try {
      creds = await resolveCredentials({
        runModel: model,
        teamDefault: null,
        teamSlug: team.slug,
        config: this.d.engine,
        teamKey: (p) => this.keys.get(teamId, p),
      });
    } catch (err) {
      if (err instanceof ModelSetupError) throw badRequest(err.message);
      throw err;
    }
    if (!creds.chatBaseURL && creds.provider !== "anthropic") {
      throw badRequest(`Provider ${creds.provider} is not available through the model endpoint yet`);
    }
    const secrets = [...serverModelSecrets(this.d.engine), ...(creds.apiKey ? [creds.apiKey] : [])];
    return { ...creds, secrets };
  }

  /** The catalogue's models the team allows, with credentials, that the endpoint serves (OpenAI list format). */
  async list(teamId: string): Promise<LlmModelList> {
    const cat = await this.d.models.catalogue(teamId);
    const created = Math.floor(this.d.clock.now() / 1000);
    return {
      object: "list",
      data: cat.models
        .filter((m) => m.allowed && m.hasCredentials)
        .map((m) => ({ id: m.id, object: "model" as const, created, owned_by: m.provider })),
    };
  }
}
