// The Origin-check fixture of the model budget's session mutation (test-support/session-mutations.ts spreads
// it): the request succeeds when its Origin is acceptable.
import type { Harness, TestUser } from "../../test-support/harness.js";

export function llmMutationFixtures(_h: Harness, owner: TestUser, ownerCookie: string) {
  return {
    updateTeamLlmBudget: {
      ok: 200,
      prepare: async () => ({
        path: `/api/teams/${owner.teamId}/llm-budget`,
        body: { monthlyBudgetUsd: null },
        cookie: ownerCookie,
      }),
    },
  };
}
