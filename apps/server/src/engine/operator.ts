// Operator actions for the run engine: team provider keys and per-repo egress allowlists (audited). Takes the
// few services it needs; the `mogplex admin` wrapper that opens them from the environment is engine-admin.ts.
import type { Kysely } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import type { Clock } from "../clock.js";
import { PROVIDER_KEY_VARS } from "../config/engine.js";
import type { DB } from "../db/schema.js";
import { failure } from "../failure.js";
import type { Keyring } from "../security/envelope.js";
import { OPENAI_COMPATIBLE } from "./models.js";
import { ProviderKeyStore } from "./provider-keys.js";
import { SetupError, setRepoEgress } from "./setup.js";

export interface OperatorDeps {
  db: Kysely<DB>;
  keyring: Keyring;
  clock: Clock;
  audit: AuditLog;
}

const ADMIN_CTX: AuditContext = { actorType: "system", actorId: null, authSource: "admin-cli" };
const PROVIDERS = [...Object.keys(PROVIDER_KEY_VARS), OPENAI_COMPATIBLE];

/** A BAD_REQUEST failure unless `provider` is one a team key can be stored for. */
export function checkProvider(provider: string): void {
  if (!PROVIDERS.includes(provider))
    throw failure("BAD_REQUEST", `--provider must be one of: ${PROVIDERS.join(", ")}`);
}

async function teamId(db: Kysely<DB>, slug: string): Promise<string> {
  const team = await db.selectFrom("teams").select("id").where("slug", "=", slug).executeTakeFirst();
  if (!team) throw failure("NOT_FOUND", `no team with slug ${slug}`);
  return team.id;
}

/** Stores (or with an empty key, removes) a team's key for a model provider; the key never reaches the audit row. */
export async function setProviderKey(
  d: OperatorDeps,
  a: { team: string; provider: string; key: string },
): Promise<string> {
  checkProvider(a.provider);
  const id = await teamId(d.db, a.team);
  const keys = new ProviderKeyStore(d.db, d.keyring, d.clock);
  const removing = a.key.trim() === "";
  if (removing) await keys.remove(id, a.provider);
  else await keys.set(id, a.provider, a.key);
  await d.db.transaction().execute((trx) =>
    d.audit.append(trx, ADMIN_CTX, {
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
}

/** Sets the hosts a repo's sandboxes may reach over HTTPS (empty list = no network, the default). */
export async function setEgress(d: OperatorDeps, a: { repo: string; hosts: string[] }): Promise<string> {
  const repo = await d.db
    .selectFrom("repos")
    .select(["id", "team_id", "full_name"])
    .where("id", "=", a.repo)
    .executeTakeFirst();
  if (!repo) throw failure("NOT_FOUND", `no repo with id ${a.repo}`);
  try {
    await setRepoEgress(d.db, repo.id, a.hosts, d.clock.now());
  } catch (err) {
    if (err instanceof SetupError) throw failure("BAD_REQUEST", err.message);
    throw err;
  }
  await d.db.transaction().execute((trx) =>
    d.audit.append(trx, ADMIN_CTX, {
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
}
