// The Origin-check fixtures of the model and repo settings session mutations (test-support/session-mutations.ts
// spreads them): each request succeeds when its Origin is acceptable.
import type { Harness, TestUser } from "../../test-support/harness.js";

interface Fixture {
  ok: number;
  prepare(): Promise<{ path: string; body?: unknown; cookie?: string }>;
}

const sys = { actorType: "system" as const, actorId: null };

export function settingsMutationFixtures(h: Harness, owner: TestUser, ownerCookie: string, repoId: string) {
  const team = `/api/teams/${owner.teamId}`;
  return {
    updateTeamModelSettings: {
      ok: 200,
      prepare: async () => ({
        path: `${team}/model-settings`,
        body: { defaultModel: null },
        cookie: ownerCookie,
      }),
    },
    setTeamProviderKey: {
      ok: 200,
      prepare: async () => ({
        path: `${team}/provider-keys/groq`,
        body: { key: "gsk-origin-fixture" },
        cookie: ownerCookie,
      }),
    },
    removeTeamProviderKey: {
      ok: 200,
      prepare: async () => {
        await h.s.models.setKey(owner.teamId, "mistral", "mistral-origin-fixture", sys);
        return { path: `${team}/provider-keys/mistral`, cookie: ownerCookie };
      },
    },
    webUpdateRepoSettings: {
      ok: 200,
      prepare: async () => ({
        path: `/api/web/repos/${repoId}`,
        body: { installCommand: "npm ci" },
        cookie: ownerCookie,
      }),
    },
  } satisfies Record<string, Fixture>;
}
