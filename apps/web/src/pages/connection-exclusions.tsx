// Hiding a team-wide connection from some repos: each box takes effect at once (owners and admins only).
import { useId, useState } from "react";
import { api, get } from "../api.js";
import type { ConnectionSummary, Repo } from "../types.js";
import { ErrorNote, Loaded, useAction, useAsync } from "../ui.js";

/** Beyond this many repos the page would ask too much at once; the CLI and API still reach the rest. */
const MAX_REPOS = 50;

export function Exclusions({
  teamId,
  connection,
  repos,
}: {
  teamId: string;
  connection: ConnectionSummary;
  repos: Repo[];
}) {
  const headingId = useId();
  const shown = repos.slice(0, MAX_REPOS);
  const team = encodeURIComponent(teamId);
  const state = useAsync(
    async (signal) => {
      const answers = await Promise.all(
        shown.map((r) =>
          get<{ excluded?: string[] }>(
            `/api/teams/${team}/connections?repoId=${encodeURIComponent(r.id)}`,
            signal,
          ),
        ),
      );
      return new Set(shown.filter((_, i) => answers[i]?.excluded?.includes(connection.id)).map((r) => r.id));
    },
    [connection.id, repos],
  );
  // What was ticked here since loading: the box shows it at once, and goes back if the server refuses.
  const [changes, setChanges] = useState<Record<string, boolean>>({});
  const { busy, error, run } = useAction();
  const toggle = (repo: Repo, exclude: boolean) => {
    const mark = (v: boolean) => setChanges((c) => ({ ...c, [repo.id]: v }));
    mark(exclude);
    return run(async () => {
      const path = `/api/teams/${team}/repos/${encodeURIComponent(repo.id)}/exclusions/${encodeURIComponent(connection.id)}`;
      await api(exclude ? "POST" : "DELETE", path).catch((err: unknown) => {
        mark(!exclude);
        throw err;
      });
    });
  };

  return (
    <section className="card stack" aria-labelledby={headingId}>
      <h2 id={headingId}>Repos that don't use {connection.name}</h2>
      <p className="hint">A ticked repo's runs don't get this connection. Changes apply at once.</p>
      <Loaded a={state} what="exclusions">
        {(excluded) => (
          <fieldset>
            <legend className="visually-hidden">Hide {connection.name} from</legend>
            {shown.map((r) => (
              <label className="check" key={r.id}>
                <input
                  type="checkbox"
                  checked={changes[r.id] ?? excluded.has(r.id)}
                  disabled={busy}
                  onChange={(e) => void toggle(r, e.target.checked)}
                />{" "}
                Hide from {r.fullName}
              </label>
            ))}
          </fieldset>
        )}
      </Loaded>
      {repos.length > MAX_REPOS ? (
        <p className="hint">Only the first {MAX_REPOS} repos are listed here.</p>
      ) : null}
      <ErrorNote error={error} title="Not changed" />
    </section>
  );
}
