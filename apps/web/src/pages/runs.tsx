// Runs: the team's agent runs, newest first (prompt, status, repo, model, age), filtered by status (kept in
// the address), a page at a time; members and above start one here.
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
  useAsync,
  when,
} from "../ui.js";
import { StartRunForm } from "./start-run-form.js";

const PAGE = 25;

interface Page {
  runs: Run[];
  nextCursor: string | null;
}

/** The start form once the team's repos are in (a team without repos is told where they come from below). */
function StartRun({ repos }: { repos: Async<{ repos: Repo[] }> }) {
  if (!repos.data) {
    return repos.error ? <ErrorNote error={repos.error} title="Could not load the team's repos" /> : null;
  }
  if (repos.data.repos.length === 0) return null;
  return <StartRunForm repos={repos.data.repos} />;
}

/** What an empty list says depends on what the page shows: no repos yet, a form above, or neither. */
function NoRuns({
  status,
  hasRepos,
  canStart,
}: {
  status: string;
  hasRepos: boolean | undefined;
  canStart: boolean;
}) {
  if (status) return <p>No {status} runs.</p>;
  if (hasRepos === false) {
    return (
      <>
        <p>No runs yet. Runs work on a repo, and this team has none yet.</p>
        <p>
          Owners and admins add one on the <Link to="/repos">Repos</Link> page by clone URL; a repository on
          the server's own disk is added by the operator with{" "}
          <code>mogplex admin add-repo --team &lt;team&gt; --name owner/name --path &lt;git repo&gt;</code>.
        </p>
      </>
    );
  }
  return (
    <>
      <p>No runs yet.</p>
      <p>
        Start one {canStart && hasRepos ? "with the form above or " : ""}from the CLI:{" "}
        <code>mogplex run --repo &lt;repo id&gt; "describe the change"</code>. Repo ids are on the{" "}
        <Link to="/repos">Repos</Link> page.
      </p>
    </>
  );
}

/** The first non-empty line of a prompt: how people tell runs apart. */
export function promptTitle(prompt: string, max = 120): string {
  const line = prompt.split(/\r?\n/).find((l) => l.trim() !== "");
  const t = line ? line.trim() : "(empty prompt)";
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** The model a run uses: recorded when it starts; until then, the default it will resolve to. */
export function modelText(r: Run): string {
  if (r.model) return r.model;
  return r.status === "pending" ? "Default (chosen at start)" : "None";
}

/** "5 min ago", with the exact time on hover and for assistive technology. */
export function Ago({ iso, now }: { iso: string; now: number }) {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const text =
    s < 60
      ? "just now"
      : s < 3600
        ? `${Math.floor(s / 60)} min ago`
        : s < 86_400
          ? `${Math.floor(s / 3600)} h ago`
          : `${Math.floor(s / 86_400)} d ago`;
  return (
    <time dateTime={iso} title={when(iso)}>
      {text}
    </time>
  );
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
  const now = Date.now();

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
          <NoRuns
            status={status}
            hasRepos={repos.data ? repos.data.repos.length > 0 : undefined}
            canStart={canStart}
          />
        </Empty>
      ) : (
        <>
          <TableWrap label="Runs">
            <table>
              <thead>
                <tr>
                  <th scope="col">Prompt</th>
                  <th scope="col">Status</th>
                  <th scope="col">Repo</th>
                  <th scope="col">Model</th>
                  <th scope="col">Source</th>
                  <th scope="col">Created</th>
                  <th scope="col">Duration</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => (
                  <tr key={r.id}>
                    <td className="prompt-cell">
                      <Link to={`/runs/${encodeURIComponent(r.id)}`} title={r.prompt.slice(0, 500)}>
                        {promptTitle(r.prompt)}
                      </Link>
                    </td>
                    <td>
                      <StatusBadge status={r.status} />
                    </td>
                    <td>{names.get(r.repoId) ?? <code>{r.repoId}</code>}</td>
                    <td>
                      <span className={r.model ? "mono" : "muted"}>{modelText(r)}</span>
                    </td>
                    <td>{r.source}</td>
                    <td>
                      <Ago iso={r.createdAt} now={now} />
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
