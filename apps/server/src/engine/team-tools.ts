// Opens a run's team tools (MCP through the gateway, REST connections) as its starter may call them now.
import type { RunsTable } from "../db/schema.js";
import { type OpenedRunTools, RunTools, RunToolsError } from "../run-tools/service.js";
import type { Services } from "../services.js";
import { SetupError } from "./setup.js";

export async function openTeamTools(
  s: Pick<Services, "db" | "keyring" | "gateway">,
  run: RunsTable,
): Promise<OpenedRunTools | null> {
  const names = run.tools ? (JSON.parse(run.tools) as string[]) : [];
  if (names.length === 0) return null;
  const tools = new RunTools({ db: s.db.db, keyring: s.keyring, gateway: s.gateway });
  try {
    return await tools.open(
      { runId: run.id, teamId: run.team_id, userId: run.user_id, repoId: run.repo_id },
      names,
    );
  } catch (err) {
    throw err instanceof RunToolsError ? new SetupError(err.message) : err;
  }
}
