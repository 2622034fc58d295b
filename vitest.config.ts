// Test runner config: runs TypeScript sources directly, workspace packages resolved to their src.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      "@mogplex/contract": src("./packages/contract/src/index.ts"),
      "@mogplex/client": src("./packages/client/src/index.ts"),
      "@mogplex/pkgfmt": src("./packages/pkgfmt/src/index.ts"),
      "@mogplex/server/agent-kit": src("./apps/server/src/agent-kit.ts"),
      "@mogplex/server": src("./apps/server/src/index.ts"),
    },
  },
  test: {
    include: ["apps/*/src/**/*.test.ts", "packages/*/src/**/*.test.ts", "apps/web/e2e/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
