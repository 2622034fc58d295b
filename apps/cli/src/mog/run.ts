// How a `mog` command ends: with --json one envelope line `{ok, command, data|error}`, the last on stdout;
// otherwise plain lines on stdout and `mog: <message>` on stderr. Exit 0 ok, 1 error, 2 approval required.
import type { MogCtx } from "./context.js";
import { describeMogError, MOG_EXIT, type MogExit } from "./errors.js";

export interface Outcome {
  data: unknown;
  /** What a person reads on stdout without --json. */
  lines: string[];
}

export function envelopeError(ctx: MogCtx, command: string, json: boolean, err: unknown): MogExit {
  const d = describeMogError(err);
  if (json) {
    const error = {
      code: d.code,
      message: d.message,
      ...(d.status !== undefined ? { status: d.status } : {}),
      ...(d.requestId ? { requestId: d.requestId } : {}),
      ...(d.details ? { details: d.details } : {}),
    };
    ctx.io.json({ ok: false, command, error });
  } else {
    const rid = d.requestId ? ` (request ${d.requestId})` : "";
    ctx.io.err(`mog: ${d.message}${rid}`);
  }
  return d.exitCode;
}

export async function runCommand(
  ctx: MogCtx,
  command: string,
  json: boolean,
  fn: () => Promise<Outcome>,
): Promise<MogExit> {
  try {
    const { data, lines } = await fn();
    ctx.tty?.clear();
    if (json) ctx.io.json({ ok: true, command, data });
    else for (const line of lines) ctx.io.out(line);
    return MOG_EXIT.ok;
  } catch (err) {
    ctx.tty?.clear();
    return envelopeError(ctx, command, json, err);
  }
}
