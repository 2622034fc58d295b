// The Origin-check fixture of the run tool policy's session mutation (test-support/session-mutations.ts spreads
// it): the request succeeds when its Origin is acceptable.
import type { Harness, TestUser } from "../../test-support/harness.js";

export function runToolsMutationFixtures(_h: Harness, owner: TestUser, ownerCookie: string) {
  return {
    updateTeamRunToolsPolicy: {
      ok: 200,
      prepare: async () => ({
        path: `/api/teams/${owner.teamId}/run-tools-policy`,
        body: { tools: null },
        cookie: ownerCookie,
      }),
    },
  };
}
