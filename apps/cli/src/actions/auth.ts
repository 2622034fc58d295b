// `mogplex auth status` (which source wins, never the secret), `mogplex logout`, and bare `mogplex`.
import { serverUrl } from "../config/env.js";
import type { Ctx } from "../context.js";
import { ALL_PROVIDERS, providerById } from "../credentials/providers.js";
import {
  allCredentials,
  describeSource,
  NO_CREDENTIALS,
  type Resolved,
  resolveApiCredential,
} from "../credentials/resolve.js";
import { AuthStore } from "../credentials/store.js";
import { NotAuthenticatedError, UsageError } from "../errors.js";
import { login } from "./login.js";

function summary(r: Resolved) {
  if (r.source === "env")
    return { layer: r.layer, source: r.source, variable: r.variable, provider: r.provider.id };
  if (r.source === "auth.json") return { layer: r.layer, source: r.source, provider: r.provider.id };
  return {
    layer: r.layer,
    source: r.source,
    server: r.login.url,
    prefix: r.login.prefix,
    expiresAt: r.login.expiresAt,
  };
}

export function authStatus(ctx: Ctx, o: { json?: boolean }): void {
  const data = ctx.store.read();
  for (const s of AuthStore.secrets(data)) ctx.log.secret(s);
  const found = allCredentials(ctx.env, data);
  const [winner, ...others] = found;
  let api: { source: string; origin: string; server: string } | { error: string };
  try {
    const server = serverUrl(ctx.env, data.mogplex?.url).url;
    const c = resolveApiCredential(ctx.env, data, server, ctx.store.path);
    api = { source: c.source, origin: c.origin, server };
  } catch (err) {
    api = { error: (err as Error).message };
  }
  ctx.log.write("auth.status", { winner: winner ? summary(winner) : null, shadowed: others.length });
  if (o.json) {
    ctx.io.json({
      authenticated: Boolean(winner),
      source: winner ? summary(winner) : null,
      shadowed: others.map(summary),
      api,
    });
  } else if (winner) {
    ctx.io.out(`Authenticated via ${describeSource(winner, ctx.store.path)}`);
    for (const r of others)
      ctx.io.out(`  also present (not used first): ${describeSource(r, ctx.store.path)}`);
    ctx.io.out(
      "error" in api ? `Mogplex API: ${api.error}` : `Mogplex API: ${api.server} with ${api.origin}`,
    );
  }
  if (!winner) throw new NotAuthenticatedError(NO_CREDENTIALS);
}

export function logout(ctx: Ctx, o: { provider?: string; all?: boolean; json?: boolean }): void {
  if (o.all && o.provider) throw new UsageError("use either --provider or --all");
  const id = o.provider ?? "mogplex";
  const provider = providerById(id);
  if (!provider) throw new UsageError(`unknown provider ${id}`);
  const removed: string[] = [];
  const data = ctx.store.read();
  for (const s of AuthStore.secrets(data)) ctx.log.secret(s);
  const had = data.mogplex;
  if ((o.all || id === "mogplex") && data.mogplex) {
    data.mogplex = undefined;
    removed.push("mogplex");
  }
  for (const key of Object.keys(data.keys)) {
    if (o.all || key === id) {
      delete data.keys[key];
      removed.push(key);
    }
  }
  if (removed.length > 0) ctx.store.write(data);
  const targets = o.all ? ALL_PROVIDERS.map((p) => p.id) : [id];
  const stillSet = targets
    .map((t) => providerById(t)?.envVar)
    .filter((v): v is string => Boolean(v && ctx.env[v]?.trim()));
  ctx.log.write("logout", { removed, envStillSet: stillSet });
  if (o.json) {
    ctx.io.json({ removed, path: ctx.store.path, envStillSet: stillSet });
    return;
  }
  if (removed.length === 0)
    ctx.io.out(`Nothing stored for ${o.all ? "any provider" : provider.name} in ${ctx.store.path}`);
  else ctx.io.out(`Removed ${removed.join(", ")} from ${ctx.store.path}`);
  if (had && removed.includes("mogplex")) {
    const until = had.expiresAt ? ` (until ${had.expiresAt.slice(0, 10)})` : "";
    ctx.io.out(
      `The token ${had.prefix}… stays valid on the server${until}: revoke it under Settings → API Keys if this machine is not yours.`,
    );
  }
  for (const v of stillSet) {
    ctx.io.out(
      `${v} is still set in your environment: the next session will authenticate with it. Unset it to sign out completely.`,
    );
  }
}

/** Bare `mogplex` without a terminal: which credential would be used, or one clear line when there is none. */
export async function start(ctx: Ctx, o: { json?: boolean }): Promise<void> {
  const data = ctx.store.read();
  for (const s of AuthStore.secrets(data)) ctx.log.secret(s);
  const winner = allCredentials(ctx.env, data)[0];
  if (!winner) {
    if (!ctx.interactive) throw new NotAuthenticatedError(NO_CREDENTIALS);
    await login(ctx, { json: o.json });
    return;
  }
  if (o.json) {
    ctx.io.json({ authenticated: true, source: summary(winner) });
    return;
  }
  ctx.io.out(`Authenticated via ${describeSource(winner, ctx.store.path)}.`);
  ctx.io.out('The interactive session needs a terminal; without one, run a turn with `mogplex -p "PROMPT"`.');
}
