#!/usr/bin/env node
// The `mog` command (the registry CLI) npm links (node_modules/.bin, `npm link -w @mogplex/cli`): this file is in git, so the
// link exists right after `npm ci`, and it starts the built CLI in ../dist (built by `npm ci`'s prepare step,
// `npm run build`, `npm start` and `npm test`).
const built = new URL("../dist/bin/mog.js", import.meta.url);
import(built.href).catch((err) => {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes(built.pathname)) {
    process.stderr.write("mog: the CLI is not built yet: run `npm run build` in the checkout\n");
    process.exitCode = 1;
    return;
  }
  throw err;
});
