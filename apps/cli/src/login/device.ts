// RFC 8628 device sign-in: show the user code and where to enter it, then poll at the server's interval,
// slowing down by 5 s on slow_down and backing off on network trouble, until approved, denied or expired.
import type { Ctx } from "../context.js";
import { PAT_RE } from "../credentials/providers.js";
import { LoginFailedError, TemporaryError } from "../errors.js";
import { postJson, unavailable } from "./http.js";
import type { Issued } from "./save.js";

export const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const MAX_INTERVAL_S = 60;

export interface DeviceDeps {
  sleep(ms: number): Promise<void>;
  now(): number;
  fetch?: typeof fetch;
}

export const realDeviceDeps: DeviceDeps = {
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => Date.now(),
};

interface Started {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval: number;
}

function parseStart(body: Record<string, unknown>): Started | null {
  const b = body as Partial<Started>;
  if (typeof b.device_code !== "string" || typeof b.user_code !== "string") return null;
  if (typeof b.verification_uri !== "string" || typeof b.expires_in !== "number") return null;
  return { ...b, interval: typeof b.interval === "number" && b.interval > 0 ? b.interval : 5 } as Started;
}

export async function deviceLogin(
  ctx: Ctx,
  base: string,
  deps: DeviceDeps = realDeviceDeps,
  /** Which CLI asks (`mogplex-cli`, or `mog` for the registry CLI): the server may grant scopes per client. */
  clientId = "mogplex-cli",
): Promise<Issued> {
  const log = (f: Record<string, unknown>) => ctx.log.write("http", f);
  const first = await postJson(base, "/api/cli-auth/device/code", { client_id: clientId }, log, deps.fetch);
  const busy = unavailable(first);
  if (busy) throw busy;
  const start = first.status === 200 ? parseStart(first.body) : null;
  if (!start)
    throw new LoginFailedError(
      `${base} did not start a device sign-in (HTTP ${first.status})`,
      "login_failed",
    );
  ctx.log.secret(start.device_code);
  ctx.log.write("login.device", { server: base, expiresIn: start.expires_in, interval: start.interval });
  ctx.io.err(`To sign in, open ${start.verification_uri} and enter the code: ${start.user_code}`);
  if (start.verification_uri_complete) ctx.io.err(`(or open ${start.verification_uri_complete})`);
  ctx.io.err(`Waiting for approval (the code expires in ${Math.round(start.expires_in / 60)} min)…`);

  const deadline = deps.now() + start.expires_in * 1000;
  let interval = start.interval;
  let wait = interval;
  for (;;) {
    await deps.sleep(wait * 1000);
    if (deps.now() >= deadline) throw expired();
    let r: Awaited<ReturnType<typeof postJson>>;
    try {
      r = await postJson(
        base,
        "/api/cli-auth/device/token",
        { grant_type: DEVICE_GRANT, device_code: start.device_code, client_id: clientId },
        log,
        deps.fetch,
      );
    } catch (err) {
      // RFC 8628 §3.5: on a connection problem, back off exponentially and keep polling until expiry.
      if (!(err instanceof TemporaryError)) throw err;
      wait = Math.min(MAX_INTERVAL_S, wait * 2);
      continue;
    }
    const token = r.body.access_token;
    if (r.status === 200 && typeof token === "string" && PAT_RE.test(token)) {
      ctx.log.secret(token);
      const expiresIn = typeof r.body.expires_in === "number" ? r.body.expires_in : null;
      return {
        token,
        expiresAt: expiresIn === null ? null : new Date(deps.now() + expiresIn * 1000).toISOString(),
      };
    }
    if (r.status === 429 || r.status === 503) {
      wait = Math.min(MAX_INTERVAL_S, Math.max(interval, r.retryAfterSeconds ?? interval * 2));
      continue;
    }
    const error = String(r.body.error ?? `HTTP ${r.status}`);
    if (error === "authorization_pending") {
      wait = interval;
      continue;
    }
    if (error === "slow_down") {
      interval = Math.min(MAX_INTERVAL_S, interval + 5);
      wait = interval;
      continue;
    }
    ctx.log.write("login.device.end", { error });
    if (error === "expired_token") throw expired();
    if (error === "access_denied")
      throw new LoginFailedError("the device sign-in was denied", "access_denied");
    throw new LoginFailedError(`device sign-in failed (${error})`, "login_failed");
  }
}

const expired = () =>
  new LoginFailedError(
    "the device code expired before it was approved; run `mogplex login --device` again",
    "expired_token",
  );
