// @mogplex/server/agent-kit: the parts of the run engine the terminal agent (apps/cli agent/) shares, without
// loading the server: the harness's tool definitions and the bubblewrap building blocks (system binds, the
// limiter, the seccomp filter, the switch to an unprivileged host user).
export { TOOL_SPECS, type ToolName } from "./engine/harness/tool-specs.js";
export {
  FD,
  limitedCommand,
  SANDBOX_UID,
  systemBinds,
  WATCHDOG_FD,
} from "./sandboxes/provider/bwrap-args.js";
export { setprivPrefix } from "./sandboxes/provider/bwrap-sandbox.js";
export { DEFAULT_SANDBOX_HOST_ID, runningAsRoot } from "./sandboxes/provider/host-user.js";
export { compileSeccomp } from "./sandboxes/provider/seccomp.js";
