// Trades the browser hand-off code plus the PKCE verifier for the PAT (POST /api/cli-auth/token).
import type { Ctx } from "../context.js";
import { PAT_RE } from "../credentials/providers.js";
import { LoginFailedError } from "../errors.js";
import { postJson, unavailable } from "./http.js";
import type { Issued } from "./save.js";

export async function exchangeCode(
  ctx: Ctx,
  base: string,
  code: string,
  verifier: string,
  fetchImpl?: typeof fetch,
): Promise<Issued> {
  const r = await postJson(
    base,
    "/api/cli-auth/token",
    { code, codeVerifier: verifier },
    (f) => ctx.log.write("http", f),
    fetchImpl,
  );
  const token = r.body.token;
  if (r.status === 200 && typeof token === "string" && PAT_RE.test(token)) {
    ctx.log.secret(token);
    return { token, expiresAt: typeof r.body.expiresAt === "string" ? r.body.expiresAt : null };
  }
  const busy = unavailable(r);
  if (busy) throw busy;
  if (r.status === 400) {
    throw new LoginFailedError(
      `the sign-in code was not accepted (${String(r.body.error ?? "invalid")}): codes last 60 s and work once; run \`mogplex login\` again`,
      "login_failed",
    );
  }
  throw new LoginFailedError(`unexpected answer from ${base} (HTTP ${r.status})`, "login_failed");
}
