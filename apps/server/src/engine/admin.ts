// Operator commands for the run engine: team provider keys and per-repo egress allowlists (audited).

import { AdminError } from "../admin/commands.js";
import type { AuditContext } from "../audit/store.js";
import { type ConfigOverrides, loadConfig } from "../config.js";
import { wire } from "../wiring.js";
import { PROVIDER_KEY_VARS } from "./config.js";
import { OPENAI_COMPATIBLE } from "./models.js";
import { ProviderKeyStore } from "./provider-keys.js";
import { SetupError, setRepoEgress } from "./setup.js";

const ADMIN_CTX: AuditContext = { actorType: "system", actorId: null, authSource: "admin-cli" };
const PROVIDERS = [...Object.keys(PROVIDER_KEY_VARS), OPENAI_COMPATIBLE];

async function teamId(s: Awaited<ReturnType<typeof wire>>, slug: string): Promise<string> {
  const team = await s.db.db.selectFrom("teams").select("id").where("slug", "=", slug).executeTakeFirst();
  if (!team) throw new AdminError(`no team with slug ${slug}`);
  return team.id;
}

/** Stores (or with an empty key, removes) a team's key for a model provider; the key never reaches the audit row. */
export async function setProviderKey(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  a: { team: string; provider: string; key: string },
): Promise<string> {
  if (!PROVIDERS.includes(a.provider))
    throw new AdminError(`--provider must be one of: ${PROVIDERS.join(", ")}`);
  const s = await wire({ config: loadConfig(env, o) });
  try {
    const id = await teamId(s, a.team);
    const keys = new ProviderKeyStore(s.db.db, s.keyring, s.clock);
    const removing = a.key.trim() === "";
    if (removing) await keys.remove(id, a.provider);
    else await keys.set(id, a.provider, a.key);
    await s.db.db.transaction().execute((trx) =>
      s.audit.append(trx, ADMIN_CTX, {
        teamId: id,
        action: removing ? "team.provider_key_removed" : "team.provider_key_set",
        targetType: "team",
        targetId: id,
        payload: { provider: a.provider },
      }),
    );
    return removing
      ? `removed the ${a.provider} key of team ${a.team}`
      : `stored a ${a.provider} key for team ${a.team} (encrypted)`;
  } finally {
    await s.close();
  }
}

/** Sets the hosts a repo's sandboxes may reach over HTTPS (empty list = no network, the default). */
export async function setEgress(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  a: { repo: string; hosts: string[] },
): Promise<string> {
  const s = await wire({ config: loadConfig(env, o) });
  try {
    const repo = await s.db.db
      .selectFrom("repos")
      .select(["id", "team_id", "full_name"])
      .where("id", "=", a.repo)
      .executeTakeFirst();
    if (!repo) throw new AdminError(`no repo with id ${a.repo}`);
    try {
      await setRepoEgress(s.db.db, repo.id, a.hosts, s.clock.now());
    } catch (err) {
      if (err instanceof SetupError) throw new AdminError(err.message);
      throw err;
    }
    await s.db.db.transaction().execute((trx) =>
      s.audit.append(trx, ADMIN_CTX, {
        teamId: repo.team_id,
        action: "repo.egress_set",
        targetType: "repo",
        targetId: repo.id,
        payload: { hosts: a.hosts },
      }),
    );
    return a.hosts.length === 0
      ? `sandboxes of ${repo.full_name} have no network`
      : `sandboxes of ${repo.full_name} may reach: ${a.hosts.join(", ")}`;
  } finally {
    await s.close();
  }
}
