// `mog auth`: sign in through the server's device flow (RFC 8628) and keep the token 0600 in mog's config
// folder; `--with-token` takes one from stdin; `--status` says which server, token and scopes are in use;
// `--logout` forgets the stored token; `--repin` replaces the pinned registry key after a rotation.
import { clientFor } from "../actions/api.js";
import { PAT_RE } from "../credentials/providers.js";
import { readAll } from "../input.js";
import { deviceLogin } from "../login/device.js";
import type { Issued } from "../login/save.js";
import type { MogCtx } from "./context.js";
import { MogError } from "./errors.js";
import { PinStore, repin } from "./pin.js";
import type { Outcome } from "./run.js";
import { openSession, serverBase } from "./session.js";

/** What `mog` needs; `sell` only for publishing (members of a vendor's team). */
export const MOG_SCOPES = ["read", "download", "purchase"] as const;

export interface AuthOptions {
  status?: boolean;
  logout?: boolean;
  repin?: boolean;
  withToken?: boolean;
}

async function scopesOf(
  ctx: MogCtx,
  base: string,
  token: string,
): Promise<{ scopes: string[]; expiresAt: string | null }> {
  try {
    const { token: self } = await clientFor(ctx, base, token).getToken();
    return { scopes: self.scopes, expiresAt: self.expiresAt };
  } catch (err) {
    if ((err as { status?: number }).status === 401)
      throw new MogError("UNAUTHENTICATED", `${base} rejected the token (invalid, expired or revoked)`);
    throw err;
  }
}

function scopeWarning(scopes: string[]): string[] {
  const missing = MOG_SCOPES.filter((s) => !scopes.includes(s));
  if (missing.length === 0) return [];
  return [
    `note: this token lacks ${missing.join(", ")}; installs need read, download and purchase (publishing also sell).`,
    "Create a token with those scopes under Settings → API Keys and use `mog auth --with-token` or MOG_TOKEN.",
  ];
}

async function signIn(ctx: MogCtx, o: AuthOptions): Promise<Outcome> {
  const base = serverBase(ctx);
  let issued: Issued;
  let method: "device" | "token";
  if (o.withToken) {
    const token = (await readAll(ctx.stdin)).trim();
    ctx.log.secret(token);
    if (!PAT_RE.test(token))
      throw new MogError(
        "USAGE",
        "expected a token on standard input: mog_ followed by 32 letters and digits",
      );
    issued = { token, expiresAt: (await scopesOf(ctx, base, token)).expiresAt };
    method = "token";
  } else {
    issued = await deviceLogin(ctx, base, undefined, "mog");
    method = "device";
  }
  const prefix = issued.token.slice(0, 12);
  ctx.store.update((d) => {
    d.mogplex = {
      type: "mogplex",
      url: base,
      token: issued.token,
      prefix,
      expiresAt: issued.expiresAt,
      method,
      savedAt: new Date().toISOString(),
    };
  });
  const { scopes } = await scopesOf(ctx, base, issued.token);
  const session = openSession(ctx);
  // Pin the registry key now (first use), so a later change is noticed.
  const known = new PinStore(ctx.home).read()[base];
  const pin =
    known ??
    (await repin(ctx, session.api).then(
      (r) => r.pin,
      () => null,
    ));
  for (const line of scopeWarning(scopes)) ctx.io.err(`mog: ${line}`);
  if (ctx.env.MOG_TOKEN?.trim())
    ctx.io.err("mog: note: MOG_TOKEN is set and takes precedence over this login");
  const until = issued.expiresAt ? `, expires ${issued.expiresAt.slice(0, 10)}` : "";
  return {
    data: {
      signedIn: true,
      server: base,
      method,
      prefix,
      expiresAt: issued.expiresAt,
      scopes,
      keyId: pin?.keyId ?? null,
      path: ctx.store.path,
    },
    lines: [
      `Signed in to ${base} (token ${prefix}…${until}; scopes ${scopes.join(", ")}); stored in ${ctx.store.path}`,
    ],
  };
}

async function status(ctx: MogCtx): Promise<Outcome> {
  const session = openSession(ctx);
  const pin = new PinStore(ctx.home).read()[session.base] ?? null;
  const login = ctx.store.read().mogplex;
  if (session.via === "none")
    return {
      data: { signedIn: false, server: session.base, keyId: pin?.keyId ?? null },
      lines: [`Not signed in to ${session.base}: run \`mog auth\` or set MOG_TOKEN`],
    };
  const token = session.via === "MOG_TOKEN" ? (ctx.env.MOG_TOKEN ?? "").trim() : (login?.token ?? "");
  const { scopes, expiresAt } = await scopesOf(ctx, session.base, token);
  const prefix = token.slice(0, 12);
  const from = session.via === "MOG_TOKEN" ? "MOG_TOKEN" : ctx.store.path;
  for (const line of scopeWarning(scopes)) ctx.io.err(`mog: ${line}`);
  return {
    data: {
      signedIn: true,
      server: session.base,
      via: session.via,
      prefix,
      expiresAt,
      scopes,
      keyId: pin?.keyId ?? null,
    },
    lines: [
      `Signed in to ${session.base} with token ${prefix}… from ${from}`,
      `Scopes: ${scopes.join(", ")}${expiresAt ? `; expires ${expiresAt.slice(0, 10)}` : ""}`,
      `Registry key: ${pin ? `${pin.keyId} (pinned ${pin.pinnedAt.slice(0, 10)})` : "not pinned yet"}`,
    ],
  };
}

function logout(ctx: MogCtx): Outcome {
  let removed: string | null = null;
  ctx.store.update((d) => {
    removed = d.mogplex?.prefix ?? null;
    delete d.mogplex;
  });
  const lines = removed
    ? [
        `Signed out: forgot token ${removed}…; it stays valid until it expires or you revoke it under Settings → API Keys`,
      ]
    : ["No stored login to remove."];
  return { data: { signedOut: removed !== null, prefix: removed }, lines };
}

async function doRepin(ctx: MogCtx): Promise<Outcome> {
  const { api } = openSession(ctx);
  const { pin, previous } = await repin(ctx, api);
  const was = previous ? (previous.keyId === pin.keyId ? " (unchanged)" : ` (was ${previous.keyId})`) : "";
  return {
    data: { server: api.base, keyId: pin.keyId, previousKeyId: previous?.keyId ?? null },
    lines: [`Pinned the registry key ${pin.keyId} of ${api.base}${was}`],
  };
}

export async function authCommand(ctx: MogCtx, o: AuthOptions): Promise<Outcome> {
  const picked = [o.status, o.logout, o.repin, o.withToken].filter(Boolean).length;
  if (picked > 1) throw new MogError("USAGE", "choose one of --status, --logout, --repin and --with-token");
  if (o.status) return status(ctx);
  if (o.logout) return logout(ctx);
  if (o.repin) return doRepin(ctx);
  return signIn(ctx, o);
}
