// Bare `mogplex`: on a terminal, the chooser when there is no credential yet, then the interactive session;
// without a terminal, one clear line (or, with credentials, which one would be used and how to run headless).
import { start as sayWhoWins } from "../actions/auth.js";
import { login } from "../actions/login.js";
import { createAgentSession } from "../agent/session.js";
import type { Ctx } from "../context.js";
import { allCredentials, NO_CREDENTIALS } from "../credentials/resolve.js";
import { AuthStore } from "../credentials/store.js";
import { NotAuthenticatedError } from "../errors.js";
import { approvalMode } from "./config.js";

export interface SessionFlags {
  model?: string;
  approval?: string;
  /** false with --no-sandbox. */
  sandbox?: boolean;
  network?: boolean;
}

const hasCredential = (ctx: Ctx) => {
  const data = ctx.store.read();
  for (const s of AuthStore.secrets(data)) ctx.log.secret(s);
  return allCredentials(ctx.env, data).length > 0;
};

/** Resolves with the exit code (0 after /exit or Ctrl-C twice). */
export async function startInteractive(ctx: Ctx, flags: SessionFlags): Promise<number> {
  const mode = approvalMode(ctx.home, flags.approval);
  if (!ctx.interactive) {
    await sayWhoWins(ctx, {});
    return 0;
  }
  if (!hasCredential(ctx)) {
    await login(ctx, {});
    if (!hasCredential(ctx)) throw new NotAuthenticatedError(NO_CREDENTIALS);
  }
  const sandbox = flags.sandbox !== false;
  const network = flags.network === true;
  const cwd = process.cwd();
  if (!sandbox) ctx.io.err("mogplex: --no-sandbox: commands run on this machine, not in a sandbox");
  const { runScreen } = await import("./run.js");
  return runScreen(ctx, {
    open: () => createAgentSession(ctx, { model: flags.model, mode, sandbox, network, cwd }),
    sandbox,
    network,
    cwd,
  });
}
