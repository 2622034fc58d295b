// Stores a finished Mogplex sign-in as the account login in auth.json, and says where and until when.
import type { Ctx } from "../context.js";

export interface Issued {
  token: string;
  expiresAt: string | null;
}

export function saveLogin(
  ctx: Ctx,
  base: string,
  issued: Issued,
  method: "browser" | "device" | "token",
  json?: boolean,
): void {
  ctx.log.secret(issued.token);
  const prefix = issued.token.slice(0, 12);
  let replaced: { prefix: string } | undefined;
  ctx.store.update((d) => {
    if (d.mogplex && d.mogplex.token !== issued.token) replaced = { prefix: d.mogplex.prefix };
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
  ctx.log.write("login.saved", { method, server: base, expiresAt: issued.expiresAt });
  if (json) {
    ctx.io.json({
      signedIn: true,
      server: base,
      method,
      prefix,
      expiresAt: issued.expiresAt,
      path: ctx.store.path,
    });
  } else {
    const until = issued.expiresAt ? `, expires ${issued.expiresAt.slice(0, 10)}` : "";
    ctx.io.out(`Signed in to ${base} (token ${prefix}…${until}); stored in ${ctx.store.path}`);
  }
  if (replaced) {
    ctx.io.err(
      `mogplex: replaced the previous login; its token ${replaced.prefix}… stays valid until it expires or you revoke it under Settings → API Keys`,
    );
  }
  if (ctx.env.MOGPLEX_API_KEY?.trim()) {
    ctx.io.err(
      "mogplex: note: MOGPLEX_API_KEY is set in your environment and takes precedence over this login",
    );
  }
}
