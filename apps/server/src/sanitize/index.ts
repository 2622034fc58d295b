// Public surface of the sanitisers; callers import from here rather than the individual modules.
export { AUDIT_MAX_DEPTH, isAuditSecretKey, redactAuditPayload } from "./audit.js";
export {
  MAX_DEPTH,
  MAX_ENTRIES,
  MAX_PAYLOAD_JSON,
  MAX_STRING,
  type SanitizeOptions,
  sanitizeEventPayload,
  sanitizeEventText,
  type TruncatedPayload,
} from "./event.js";
export { isSecretKey, REDACTED, redactKnownSecrets, redactSecretValues } from "./secrets.js";
export { CIRCULAR, TRUNCATED, UNSERIALIZABLE } from "./walk.js";
