// The sandbox provider in use: bubblewrap on Linux (the only one today), behind the SandboxProvider seam.
import { BwrapProvider, type BwrapProviderOptions } from "./bwrap.js";
import { startEgressProxy } from "./egress.js";
import type { SandboxProvider } from "./types.js";

export type * from "./types.js";
export { SandboxUnavailableError, WORKSPACE } from "./types.js";

/** The settings it takes (the engine's config has this shape; the provider reads nothing else). */
export interface SandboxProviderSettings {
  hostPath: string;
  sandbox: { bwrap: string; hostUser: BwrapProviderOptions["hostUser"] };
}

export function createSandboxProvider(config: SandboxProviderSettings): SandboxProvider {
  return new BwrapProvider({
    bwrap: config.sandbox.bwrap,
    hostPath: config.hostPath,
    hostUser: config.sandbox.hostUser,
    egress: (socket, hosts) => startEgressProxy(socket, hosts),
  });
}
