// The sandbox provider in use: bubblewrap on Linux (the only one today), behind the SandboxProvider seam.
import type { EngineConfig } from "../../engine/config.js";
import { BwrapProvider } from "./bwrap.js";
import { startEgressProxy } from "./egress.js";
import type { SandboxProvider } from "./types.js";

export type * from "./types.js";
export { SandboxUnavailableError, WORKSPACE } from "./types.js";

export function createSandboxProvider(config: EngineConfig): SandboxProvider {
  return new BwrapProvider({
    bwrap: config.sandbox.bwrap,
    hostPath: config.hostPath,
    ...(config.sandbox.hostUser ? { hostUser: config.sandbox.hostUser } : {}),
    egress: (socket, hosts) => startEgressProxy(socket, hosts),
  });
}
