// Browser sign-in: loopback listener + PKCE + nonce, open <server>/cli-auth, take the single-use code from the
// redirect (or pasted by hand if the browser can't reach this machine), exchange it for the PAT.
import type { Ctx } from "../context.js";
import { LoginFailedError } from "../errors.js";
import { exchangeCode } from "./exchange.js";
import { startLoopback } from "./loopback.js";
import { makePkce } from "./pkce.js";
import type { Issued } from "./save.js";

export const BROWSER_TIMEOUT_MS = 5 * 60_000;
const CODE_RE = /^[0-9A-Za-z]{32}$/;

export interface BrowserDeps {
  /** Launches a browser at `url` (may fail: the address is printed anyway). */
  open(url: string): Promise<void>;
  /** Resolves with a code the user pasted; never resolves if there is nothing to read. Stops on abort. */
  pasted(signal: AbortSignal): Promise<string>;
  timeoutMs?: number;
  /** For the code exchange (tests). */
  fetch?: typeof fetch;
}

export async function browserLogin(ctx: Ctx, base: string, deps: BrowserDeps): Promise<Issued> {
  const pk = makePkce();
  ctx.log.secret(pk.verifier);
  const lb = await startLoopback(pk.nonce);
  const q = new URLSearchParams({
    callback: lb.callbackUrl,
    nonce: pk.nonce,
    code_challenge: pk.challenge,
    code_challenge_method: "S256",
  });
  const url = `${base}/cli-auth?${q}`;
  ctx.log.write("login.browser", { server: base, port: lb.port });
  ctx.io.err(`Opening ${url}`);
  ctx.io.err("If no browser opens, open that address yourself. Waiting for your approval…");
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    deps
      .open(url)
      .catch(() => ctx.io.err("mogplex: could not launch a browser; open the address above yourself"));
    const outcome = await Promise.race([
      lb.result,
      deps.pasted(ac.signal).then((code) => ({ code: code.trim() })),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new LoginFailedError("timed out waiting for the browser sign-in", "login_failed")),
          deps.timeoutMs ?? BROWSER_TIMEOUT_MS,
        );
      }),
    ]);
    if ("error" in outcome) {
      ctx.log.write("login.denied", { method: "browser" });
      if (outcome.error === "access_denied")
        throw new LoginFailedError("sign-in was denied in the browser", "access_denied");
      throw new LoginFailedError(`sign-in failed (${outcome.error})`, "login_failed");
    }
    if (!CODE_RE.test(outcome.code)) throw new LoginFailedError("that is not a sign-in code", "login_failed");
    ctx.log.secret(outcome.code);
    return await exchangeCode(ctx, base, outcome.code, pk.verifier, deps.fetch);
  } finally {
    ac.abort();
    if (timer) clearTimeout(timer);
    lb.close();
  }
}
