// `mog install vendor/slug[@version]`: not yet available.
import type { MogCtx } from "./context.js";
import { MogError } from "./errors.js";
import type { InstallFlags } from "./local-commands.js";
import type { Outcome } from "./run.js";

export async function installRegistryCommand(
  _ctx: MogCtx,
  _spec: string,
  _o: InstallFlags,
): Promise<Outcome> {
  throw new MogError("USAGE", "installing from the registry is not available yet");
}
