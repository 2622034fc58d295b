// Structured JSON logs with credentials removed at the logger, whatever a caller passes in.
import { type Logger, pino } from "pino";

const REDACT = [
  "*.authorization",
  "*.Authorization",
  "*.cookie",
  "*.Cookie",
  "*.token",
  "*.password",
  "*.secret",
  "*.apiKey",
  "*.api_key",
  "*.headers.authorization",
  "*.headers.cookie",
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
];

export type { Logger };

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: REDACT, censor: "[redacted]" }, base: { service: "mogplex" } },
    destination ?? process.stderr,
  );
}
