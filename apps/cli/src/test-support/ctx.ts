// A Ctx for unit tests: a temp MOGPLEX_HOME, captured stdout/stderr, and no terminal.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { type Ctx, createContext } from "../context.js";

export interface TestCtx extends Ctx {
  stdout: string[];
  stderr: string[];
}

export function testCtx(
  env: Record<string, string> = {},
  o: { stdin?: string; interactive?: boolean } = {},
): TestCtx {
  const home = mkdtempSync(join(tmpdir(), "mogplex-cli-unit-"));
  const stdout: string[] = [];
  const stderr: string[] = [];
  const ctx = createContext({
    env: { HOME: home, MOGPLEX_HOME: join(home, ".mogplex"), ...env },
    io: {
      out: (l) => stdout.push(l),
      json: (v) => stdout.push(JSON.stringify(v)),
      err: (l) => stderr.push(l),
    },
    stdin: Readable.from(o.stdin === undefined ? [] : [o.stdin]),
    interactive: o.interactive ?? false,
  });
  return Object.assign(ctx, { stdout, stderr });
}
