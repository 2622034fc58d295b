#!/usr/bin/env node
// The `mog` binary: the registry CLI (apps/cli/src/mog). Exit 0 ok, 1 error, 2 approval required.
import { streamIo } from "../context.js";
import { createMogContext, ttyOf } from "../mog/context.js";
import { runMog } from "../mog/main.js";

const ctx = createMogContext({
  env: process.env,
  io: streamIo(process.stdout, process.stderr),
  stdin: process.stdin,
  interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  tty: ttyOf(process.stderr),
});
runMog(ctx, process.argv).then(
  (code) => {
    ctx.log.close();
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mog: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
