// `mogplex login --with-token`: a PAT from stdin (for scripts), checked for shape and against the server
// (which also says when it expires) before anything is stored.
import { clientFor } from "../actions/api.js";
import type { Ctx } from "../context.js";
import { PAT_RE } from "../credentials/providers.js";
import { NotAuthenticatedError, UsageError } from "../errors.js";
import type { Issued } from "./save.js";

export async function withTokenLogin(ctx: Ctx, base: string, raw: string): Promise<Issued> {
  const token = raw.trim();
  ctx.log.secret(token);
  if (!PAT_RE.test(token)) {
    throw new UsageError(
      "expected a Mogplex token on standard input: mog_ followed by 32 letters and digits",
    );
  }
  try {
    // The token describes itself (GET /token): its expiry is stored with the login, as the other modes do.
    const { token: self } = await clientFor(ctx, base, token).getToken();
    return { token, expiresAt: self.expiresAt };
  } catch (err) {
    if ((err as { status?: number }).status === 401) {
      throw new NotAuthenticatedError(
        `${base} rejected that token (invalid, expired or revoked); nothing was stored`,
      );
    }
    throw err;
  }
}
