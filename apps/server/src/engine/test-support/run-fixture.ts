// One engine under test: a harness with the scripted model as its model, a worker, a team member and a repo.
import { type Actor, actor, ROOMY_BUDGETS } from "../../runs/test-support/api.js";
import { createHarness, type Harness } from "../../test-support/harness.js";
import { startEngine } from "../index.js";
import type { Worker } from "../worker.js";
import { addRepo, bareRemote } from "./engine.js";
import { type ScriptedModel, startScriptedModel } from "./scripted-model.js";

export interface RunFixture {
  h: Harness;
  model: ScriptedModel;
  worker: Worker;
  /** A member with a token and `repoId` set to the fixture's repo. */
  a: Actor;
  /** The repo's bare "remote" (where runs push). */
  remote: string;
  close(): Promise<void>;
}

/** Starts it all; `env` adds to (or overrides) the server settings every engine test uses. */
export async function startRunFixture(env: Record<string, string> = {}): Promise<RunFixture> {
  const model = await startScriptedModel();
  const h = await createHarness({
    env: {
      ...ROOMY_BUDGETS,
      MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
      MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
      MOGPLEX_SANDBOX_PROCESSES: "128",
      ...env,
    },
  });
  const worker = await startEngine(h.s, { pollMs: 200 });
  const a = await actor(h);
  const remote = bareRemote(h.dataDir);
  a.repoId = await addRepo(h, a.user.teamId, remote);
  return {
    h,
    model,
    worker,
    a,
    remote,
    async close() {
      await worker.stop();
      await h.close();
      await model.close();
    },
  };
}
