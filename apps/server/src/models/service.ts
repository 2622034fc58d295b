// The team's model settings and the model catalogue: default model, allowlist and write-only provider keys
// (sealed like connection secrets, never returned), what a run resolves to, and whether it can run at all.
import type {
  CatalogueModel,
  ModelCatalogue,
  ModelProvider,
  TeamModelSettings,
  UpdateTeamModelsBody,
} from "@mogplex/contract";
import type { Kysely } from "kysely";
import type { z } from "zod";
import type { AuditContext, AuditLog } from "../audit/store.js";
import { type Clock, iso } from "../clock.js";
import { type EngineConfig, type KeyedProvider, PROVIDER_KEY_VARS } from "../config/engine.js";
import type { DB } from "../db/schema.js";
import { ModelSetupError, OPENAI_COMPATIBLE, resolveModel, splitModelId } from "../engine/models.js";
import { ProviderKeyStore } from "../engine/provider-keys.js";
import { badRequest, failure } from "../failure.js";
import type { Keyring } from "../security/envelope.js";
import { BUILTIN_MODELS, EndpointModels } from "./catalogue.js";

export interface ModelServiceDeps {
  db: Kysely<DB>;
  audit: AuditLog;
  clock: Clock;
  keyring: Keyring;
  engine: EngineConfig;
  /** Timeout of the OpenAI-compatible endpoint's model list (default 3 s). */
  endpointTimeoutMs?: number;
}

type Origin = CatalogueModel["origins"][number];
const KEYED = Object.keys(PROVIDER_KEY_VARS) as KeyedProvider[];

export class ModelService {
  private readonly endpoint: EndpointModels;

  constructor(private readonly d: ModelServiceDeps) {
    this.endpoint = new EndpointModels({ clock: d.clock, timeoutMs: d.endpointTimeoutMs });
  }

  private keys(db: Kysely<DB> = this.d.db): ProviderKeyStore {
    return new ProviderKeyStore(db, this.d.keyring, this.d.clock);
  }

  private async team(teamId: string) {
    const t = await this.d.db
      .selectFrom("teams")
      .select(["slug", "allowed_models", "default_model"])
      .where("id", "=", teamId)
      .executeTakeFirstOrThrow();
    const allowed = t.allowed_models === null ? null : (JSON.parse(t.allowed_models) as string[]);
    return { slug: t.slug, defaultModel: t.default_model, allowed };
  }

  private async teamKeyRows(teamId: string) {
    return this.d.db
      .selectFrom("team_provider_keys")
      .select(["provider", "updated_at"])
      .where("team_id", "=", teamId)
      .execute();
  }

  /** Settings as owners/admins see them: which keys exist, never the keys. */
  async settings(teamId: string): Promise<TeamModelSettings> {
    const t = await this.team(teamId);
    const rows = new Map((await this.teamKeyRows(teamId)).map((r) => [r.provider, Number(r.updated_at)]));
    const server = (p: string) =>
      p === OPENAI_COMPATIBLE
        ? this.d.engine.openaiCompatible.apiKey !== undefined
        : this.d.engine.providerKeys[p as KeyedProvider] !== undefined;
    return {
      defaultModel: t.defaultModel,
      allowedModels: t.allowed,
      providerKeys: [...KEYED, OPENAI_COMPATIBLE].map((provider) => ({
        provider,
        teamKey: rows.has(provider),
        serverKey: server(provider),
        updatedAt: rows.has(provider) ? iso(rows.get(provider) as number) : null,
      })),
    };
  }

  async update(
    teamId: string,
    body: z.infer<typeof UpdateTeamModelsBody>,
    ctx: AuditContext,
  ): Promise<TeamModelSettings> {
    const t = await this.team(teamId);
    const defaultModel = body.defaultModel === undefined ? t.defaultModel : body.defaultModel;
    const allowed =
      body.allowedModels === undefined
        ? t.allowed
        : body.allowedModels === null
          ? null
          : [...new Set(body.allowedModels)];
    if (defaultModel !== null) {
      const parts = splitModelId(defaultModel);
      const known = [...KEYED, OPENAI_COMPATIBLE] as string[];
      if (!parts || !known.includes(parts.provider)) {
        throw badRequest(
          `defaultModel ${defaultModel} names an unknown provider; use one of: ${known.join(", ")}`,
        );
      }
      if (allowed !== null && !allowed.includes(defaultModel)) {
        throw badRequest(`defaultModel ${defaultModel} is not in allowedModels`);
      }
    }
    await this.d.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("teams")
        .set({
          default_model: defaultModel,
          allowed_models: allowed === null ? null : JSON.stringify(allowed),
        })
        .where("id", "=", teamId)
        .execute();
      await this.d.audit.append(trx, ctx, {
        teamId,
        action: "team.models_updated",
        targetType: "team",
        targetId: teamId,
        payload: { defaultModel, allowedModels: allowed },
      });
    });
    return this.settings(teamId);
  }

  /** Stores the team's key for a provider, sealed; the audit row names the provider only. */
  async setKey(teamId: string, provider: ModelProvider, key: string, ctx: AuditContext) {
    if (key.trim() === "") throw badRequest("key is required");
    await this.d.db.transaction().execute(async (trx) => {
      await this.keys(trx).set(teamId, provider, key);
      await this.d.audit.append(trx, ctx, {
        teamId,
        action: "team.provider_key_set",
        targetType: "team",
        targetId: teamId,
        payload: { provider },
      });
    });
    return this.settings(teamId);
  }

  async removeKey(teamId: string, provider: ModelProvider, ctx: AuditContext) {
    await this.d.db.transaction().execute(async (trx) => {
      const removed = await this.keys(trx).remove(teamId, provider);
      if (!removed) throw failure("NOT_FOUND", `This team has no ${provider} key`);
      await this.d.audit.append(trx, ctx, {
        teamId,
        action: "team.provider_key_removed",
        targetType: "team",
        targetId: teamId,
        payload: { provider },
      });
    });
    return this.settings(teamId);
  }

  /**
   * The model a run will use (its own, else the team default, else MOGPLEX_DEFAULT_MODEL), checked to be
   * runnable: an unknown provider or one without credentials is a 400 naming the model and why. null: no model
   * anywhere (the run is accepted and fails at start with what to set).
   */
  async check(teamId: string, requested: string | null, teamDefault: string | null): Promise<string | null> {
    const id = requested ?? teamDefault ?? this.d.engine.defaultModel ?? null;
    if (id === null) return null;
    const t = await this.team(teamId);
    try {
      await resolveModel({
        runModel: id,
        teamDefault: null,
        teamSlug: t.slug,
        config: this.d.engine,
        teamKey: (p) => this.keys().get(teamId, p),
      });
    } catch (err) {
      if (err instanceof ModelSetupError) throw badRequest(err.message);
      throw err;
    }
    return id;
  }

  async catalogue(teamId: string): Promise<ModelCatalogue> {
    const t = await this.team(teamId);
    const teamKeys = new Set((await this.teamKeyRows(teamId)).map((r) => r.provider));
    const oc = this.d.engine.openaiCompatible;
    // The endpoint is asked with the key a run would use: the server's, else the team's.
    const epKey =
      oc.apiKey ??
      (oc.baseUrl && teamKeys.has(OPENAI_COMPATIBLE)
        ? await this.keys().get(teamId, OPENAI_COMPATIBLE)
        : null);
    const listing = await this.endpoint.list(oc.baseUrl, epKey ?? undefined);

    const origins = new Map<string, Set<Origin>>();
    const add = (id: string | null | undefined, o: Origin) => {
      if (!id) return;
      const set = origins.get(id) ?? new Set<Origin>();
      set.add(o);
      origins.set(id, set);
    };
    for (const id of BUILTIN_MODELS) add(id, "builtin");
    for (const id of listing.ids) add(`${OPENAI_COMPATIBLE}/${id}`, "endpoint");
    for (const id of t.allowed ?? []) add(id, "allowlist");
    add(this.d.engine.defaultModel, "server-default");
    add(t.defaultModel, "team-default");

    const credentialed = (provider: string) => {
      if (provider === OPENAI_COMPATIBLE) return oc.baseUrl !== undefined;
      if (!(provider in PROVIDER_KEY_VARS)) return false;
      return teamKeys.has(provider) || this.d.engine.providerKeys[provider as KeyedProvider] !== undefined;
    };
    const models: CatalogueModel[] = [...origins.entries()]
      .map(([id, o]) => {
        const parts = splitModelId(id) ?? { provider: "", modelId: id };
        return {
          id,
          provider: parts.provider,
          modelId: parts.modelId,
          origins: [...o],
          hasCredentials: credentialed(parts.provider),
          allowed: t.allowed === null || t.allowed.includes(id),
        };
      })
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return {
      models,
      serverDefault: this.d.engine.defaultModel ?? null,
      teamDefault: t.defaultModel,
      effectiveDefault: t.defaultModel ?? this.d.engine.defaultModel ?? null,
      allowedModels: t.allowed,
      endpoint: { configured: listing.configured, ok: listing.ok, error: listing.error },
    };
  }
}
