// The session's approval mode: --approval, else `approval` in $MOGPLEX_HOME/config.json, else ask.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ApprovalMode } from "../agent/types.js";
import { ConfigError, UsageError } from "../errors.js";

export const APPROVAL_MODES: readonly ApprovalMode[] = ["ask", "auto-edit", "full-auto"];

export const isMode = (v: unknown): v is ApprovalMode => APPROVAL_MODES.includes(v as ApprovalMode);

export function approvalMode(home: string, flag: string | undefined): ApprovalMode {
  if (flag !== undefined) {
    if (isMode(flag)) return flag;
    throw new UsageError(`--approval must be ask, auto-edit or full-auto (got ${JSON.stringify(flag)})`);
  }
  const path = join(home, "config.json");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "ask";
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    throw new ConfigError(`${path} is not valid JSON; fix it or delete it`);
  }
  const value = (config as { approval?: unknown } | null)?.approval;
  if (value === undefined) return "ask";
  if (isMode(value)) return value;
  throw new ConfigError(`${path}: "approval" must be "ask", "auto-edit" or "full-auto"`);
}
