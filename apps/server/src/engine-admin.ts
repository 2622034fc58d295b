// `mogplex admin provider-key` / `egress`: opens the configured services (admin's withServices, which turns a
// Failure into the one-line AdminError) and runs the engine's operator actions. Lives at the wiring level so
// that admin/ never imports the engine and the engine never imports admin/ or the wiring.
import { AdminError, withServices } from "./admin/commands.js";
import type { ConfigOverrides } from "./config.js";
import { checkProvider, setEgress as egress, setProviderKey as providerKey } from "./engine/operator.js";
import { Failure } from "./failure.js";
import type { Services } from "./services.js";

const operatorDeps = (s: Services) => ({ db: s.db.db, keyring: s.keyring, clock: s.clock, audit: s.audit });

export async function setProviderKey(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  a: { team: string; provider: string; key: string },
): Promise<string> {
  try {
    checkProvider(a.provider); // before opening the database, as a bad argument
  } catch (err) {
    if (err instanceof Failure) throw new AdminError(err.message);
    throw err;
  }
  return withServices(env, o, (s) => providerKey(operatorDeps(s), a));
}

export async function setEgress(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  a: { repo: string; hosts: string[] },
): Promise<string> {
  return withServices(env, o, (s) => egress(operatorDeps(s), a));
}
