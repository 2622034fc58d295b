// The Origin-check fixtures of the registry's session mutations (test-support/session-mutations.ts spreads
// them): each request succeeds, or reaches the handler's own check, when its Origin is acceptable.

import type { Harness, TestUser } from "../../../test-support/harness.js";
import { uniq } from "../../../test-support/harness.js";

interface Fixture {
  ok: number;
  prepare(): Promise<{ path: string; body?: unknown; cookie?: string }>;
}

export function registryMutationFixtures(h: Harness, _owner: TestUser, ownerCookie: string) {
  return {
    // One vendor per team: each attempt is a fresh owner of a fresh team.
    webCreateVendor: {
      ok: 201,
      prepare: async () => {
        const u = await h.user();
        return {
          path: "/api/web/registry/vendor",
          body: { slug: uniq("v").toLowerCase().slice(0, 32), name: "Vendor" },
          cookie: await h.signIn(u),
        };
      },
    },
    // No body: the handler's own Content-Type check (application/zip) answers.
    webUploadRelease: {
      ok: 415,
      prepare: async () => ({ path: "/api/web/registry/releases", cookie: ownerCookie }),
    },
    // No such listing: the handler's own lookup answers.
    webAcquire: {
      ok: 404,
      prepare: async () => ({
        path: "/api/web/registry/entitlements",
        body: { name: "nobody/nothing" },
        cookie: ownerCookie,
      }),
    },
  } satisfies Record<string, Fixture>;
}
