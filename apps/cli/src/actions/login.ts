// `mogplex login` (and bare `mogplex` without credentials): the chooser on a terminal, or one mode by flag.
import { serverUrl, validateServerUrl } from "../config/env.js";
import type { Ctx } from "../context.js";
import { AuthStore } from "../credentials/store.js";
import { ConfigError, UsageError } from "../errors.js";
import { pastedLine, readSecret } from "../input.js";
import { browserLogin } from "../login/browser.js";
import { choose, storeProviderKey } from "../login/chooser.js";
import { deviceLogin } from "../login/device.js";
import { saveLogin } from "../login/save.js";
import { withTokenLogin } from "../login/with-token.js";

export interface LoginOptions {
  browser?: boolean;
  device?: boolean;
  withToken?: boolean;
  /** false with --no-open: print the address, don't launch a browser. */
  open?: boolean;
  /** --server URL: sign in to this server (it is what the stored login records); else MOGPLEX_URL, … */
  server?: string;
  json?: boolean;
}

type Mode = "browser" | "device" | "token";

async function launch(url: string): Promise<void> {
  const { default: open } = await import("open");
  await open(url);
}

/** `--server` follows MOGPLEX_URL's rules (https, or http to a loopback address; no credentials). */
function flagUrl(raw: string): string {
  try {
    return validateServerUrl(raw, "--server");
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

export async function login(ctx: Ctx, o: LoginOptions): Promise<void> {
  const picked = [o.browser, o.device, o.withToken].filter(Boolean).length;
  if (picked > 1) throw new UsageError("choose one of --browser, --device and --with-token");
  const data = ctx.store.read();
  for (const s of AuthStore.secrets(data)) ctx.log.secret(s);
  const base = o.server !== undefined ? flagUrl(o.server) : serverUrl(ctx.env, data.mogplex?.url).url;
  let mode: Mode | undefined = o.withToken
    ? "token"
    : o.device
      ? "device"
      : o.browser
        ? "browser"
        : undefined;
  if (!mode) {
    if (!ctx.interactive) {
      throw new UsageError("not a terminal: use `mogplex login --device`, `--browser` or `--with-token`");
    }
    const choice = await choose();
    if (choice === "provider") return storeProviderKey(ctx, o.json);
    mode = choice;
  }
  ctx.log.write("login.start", { method: mode, server: base });
  let issued: Awaited<ReturnType<typeof deviceLogin>>;
  if (mode === "token") issued = await withTokenLogin(ctx, base, await readSecret(ctx, "Token: "));
  else if (mode === "device") issued = await deviceLogin(ctx, base);
  else {
    issued = await browserLogin(ctx, base, {
      open: o.open === false ? async () => {} : launch,
      pasted: (signal) => pastedLine(ctx, signal),
    });
  }
  saveLogin(ctx, base, issued, mode, o.json);
}
