// The registry's sandboxed scanner: createSandboxScanner is what the upload → publish flow is given.

export { ScanSetupError } from "./binds.js";
export { PACKAGE_ERROR_CATEGORY, SCAN_CODES } from "./categories.js";
export { ScanOutputError } from "./outcome.js";
export {
  createSandboxScanner,
  DEFAULT_SCAN_LIMITS,
  DEFAULT_SCAN_TIMEOUT_MS,
  type SandboxScannerOptions,
  ScanError,
} from "./scanner.js";
export type * from "./types.js";
