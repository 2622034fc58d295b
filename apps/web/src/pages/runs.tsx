// Runs: the team's agent runs, newest first, filtered by status (kept in the address), a page at a time;
// members and above start one here.
import { useEffect, useId, useState } from "react";
import { get } from "../api.js";
import { Link, navigate, useLocation } from "../router.js";
import { useSession } from "../session.js";
import { atLeast, type Repo, RUN_STATUS_LIST, type Run } from "../types.js";
import {
  type Async,
  Empty,
  ErrorNote,
  Loading,
  PageTitle,
  StatusBadge,
  TableWrap,
  Time,
  useAsync,
} from "../ui.js";
import { StartRunForm } from "./start-run-form.js";

const PAGE = 25;

interface Page {
  runs: Run[];
  nextCursor: string | null;
}

/** The start form once the team's repos are in; a team without repos gets told where they come from. */
function StartRun({ repos }: { repos: Async<{ repos: Repo[] }> }) {
  if (!repos.data) {
    return repos.error ? <ErrorNote error={repos.error} title="Could not load the team's repos" /> : null;
  }
  if (repos.data.repos.length === 0) {
    return (
      <p className="notice">
        Runs work on a repo, and this team has none yet. Owners and admins add them on the{" "}
        <Link to="/repos">Repos</Link> page.
      </p>
    );
  }
  return <StartRunForm repos={repos.data.repos} />;
}

function duration(r: Run): string {
  if (!r.startedAt) return "—";
  const end = r.finishedAt ? Date.parse(r.finishedAt) : Date.now();
  const s = Math.max(0, Math.round((end - Date.parse(r.startedAt)) / 1000));
  return s < 60
    ? `${s}s`
    : s < 3600
      ? `${Math.floor(s / 60)}m ${s % 60}s`
      : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function RunsPage() {
  const loc = useLocation();
  const status = loc.search.get("status") ?? "";
  const filterId = useId();
  const { role } = useSession();
  const canStart = atLeast(role, "member");
  // Names for the table and choices for the form; a failure only costs the names (ids show instead).
  const repos = useAsync((signal) => get<{ repos: Repo[] }>("/api/web/repos?limit=200", signal), []);
  const names = new Map((repos.data?.repos ?? []).map((r) => [r.id, r.fullName]));
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [more, setMore] = useState(false);

  const fetchPage = (after: string | null, signal?: AbortSignal) => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (status) q.set("status", status);
    if (after) q.set("cursor", after);
    return get<Page>(`/api/web/runs?${q}`, signal);
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter starts from the first page
  useEffect(() => {
    const ac = new AbortController();
    setRuns(null);
    setError(null);
    fetchPage(null, ac.signal).then(
      (p) => {
        setRuns(p.runs);
        setCursor(p.nextCursor);
      },
      (err: unknown) => {
        if (!ac.signal.aborted) setError(err);
      },
    );
    return () => ac.abort();
  }, [status]);

  const loadMore = async () => {
    if (!cursor) return;
    setMore(true);
    setError(null);
    try {
      const p = await fetchPage(cursor);
      setRuns((r) => [...(r ?? []), ...p.runs]);
      setCursor(p.nextCursor);
    } catch (err) {
      setError(err);
    } finally {
      setMore(false);
    }
  };

  return (
    <>
      <PageTitle sub="Agent runs in your team, newest first.">Runs</PageTitle>
      {canStart ? <StartRun repos={repos} /> : null}
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor={filterId}>Status</label>
        <select
          id={filterId}
          value={status}
          onChange={(e) =>
            navigate(e.target.value ? `/runs?status=${e.target.value}` : "/runs", {
              replace: true,
              keep: true,
            })
          }
        >
          <option value="">All statuses</option>
          {RUN_STATUS_LIST.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </form>
      {runs === null ? (
        error ? (
          <ErrorNote error={error} title="Could not load runs" />
        ) : (
          <Loading what="Loading runs" />
        )
      ) : runs.length === 0 ? (
        <Empty>
          {status ? (
            <p>No {status} runs.</p>
          ) : (
            <>
              <p>No runs yet.</p>
              <p>
                Start one {canStart ? "with the form above or " : ""}from the CLI:{" "}
                <code>mogplex run --repo &lt;repo id&gt; "describe the change"</code>. Repo ids are on the{" "}
                <Link to="/repos">Repos</Link> page.
              </p>
            </>
          )}
        </Empty>
      ) : (
        <>
          <TableWrap label="Runs">
            <table>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Status</th>
                  <th scope="col">Repo</th>
                  <th scope="col">Source</th>
                  <th scope="col">Created</th>
                  <th scope="col">Duration</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <Link to={`/runs/${encodeURIComponent(r.id)}`} className="mono">
                        {r.id.slice(0, 10)}
                      </Link>
                    </td>
                    <td>
                      <StatusBadge status={r.status} />
                    </td>
                    <td>{names.get(r.repoId) ?? <code>{r.repoId}</code>}</td>
                    <td>{r.source}</td>
                    <td>
                      <Time iso={r.createdAt} />
                    </td>
                    <td>{duration(r)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {error ? <ErrorNote error={error} title="Could not load more" /> : null}
          {cursor ? (
            <button type="button" className="secondary" onClick={() => void loadMore()} disabled={more}>
              {more ? "Loading…" : "Load more runs"}
            </button>
          ) : null}
        </>
      )}
    </>
  );
}
