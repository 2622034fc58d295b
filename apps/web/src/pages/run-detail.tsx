// One run: its prompt, details (the model it resolved to, the packages it installs) and usage, cancel, and the
// event timeline, which follows the run live over SSE.
import { Fragment, useEffect, useRef, useState } from "react";
import { currentTeam, get, post } from "../api.js";
import { Link } from "../router.js";
import { useSession } from "../session.js";
import {
  atLeast,
  isTerminalStatus,
  type Repo,
  RUN_EVENT_TYPES,
  type Run,
  type RunEvent,
  TERMINAL_EVENTS,
} from "../types.js";
import { Confirm, Loaded, PageTitle, StatusBadge, Time, useAsync } from "../ui.js";
import { modelText, promptTitle } from "./runs.js";

/** Events after which the run's status or usage may have changed, so the details are fetched again. */
const REFRESHING = new Set(["started", "status_changed", "model_call", ...TERMINAL_EVENTS]);

type Live = "connecting" | "live" | "reconnecting" | "ended" | "stopped";

const LIVE_TEXT: Record<Live, string> = {
  connecting: "Connecting to live updates…",
  live: "Live: new events appear as they happen.",
  reconnecting: "Connection lost; reconnecting…",
  ended: "The run has ended; this is its whole timeline.",
  stopped: "Live updates stopped.",
};

function useRunEvents(id: string, onChange: () => void, terminal: boolean | undefined) {
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [live, setLive] = useState<Live>("connecting");
  const [attempt, setAttempt] = useState(0);
  const changed = useRef(onChange);
  changed.current = onChange;
  const ended = useRef(false);
  ended.current = terminal === true;

  // biome-ignore lint/correctness/useExhaustiveDependencies: reconnects only for a new run or a retry
  useEffect(() => {
    const team = currentTeam();
    const url = `/api/web/runs/${encodeURIComponent(id)}/events/stream${team ? `?team=${encodeURIComponent(team)}` : ""}`;
    // Same origin, so the session cookie goes along; EventSource resends Last-Event-ID when it reconnects.
    const es = new EventSource(url);
    let refresh: ReturnType<typeof setTimeout> | undefined;
    const onEvent = (m: MessageEvent<string>) => {
      const e = JSON.parse(m.data) as RunEvent;
      setEvents((prev) =>
        prev.some((p) => p.seq === e.seq) ? prev : [...prev, e].sort((a, b) => a.seq - b.seq),
      );
      if (TERMINAL_EVENTS.includes(e.type)) {
        es.close();
        setLive("ended");
        changed.current();
      } else if (REFRESHING.has(e.type) && refresh === undefined) {
        refresh = setTimeout(() => {
          refresh = undefined;
          changed.current();
        }, 500);
      }
    };
    for (const t of RUN_EVENT_TYPES) es.addEventListener(t, onEvent as EventListener);
    es.onopen = () => setLive("live");
    es.onerror = () => {
      // The server closes the stream after a run's end; a finished run has nothing more to say.
      if (ended.current) {
        es.close();
        setLive("ended");
      } else setLive(es.readyState === EventSource.CLOSED ? "stopped" : "reconnecting");
    };
    return () => {
      clearTimeout(refresh);
      es.close();
    };
  }, [id, attempt]);

  return { events, live, retry: () => setAttempt((a) => a + 1) };
}

function payloadText(p: unknown): string | null {
  if (p === null || p === undefined) return null;
  return JSON.stringify(p, null, 2);
}

function Timeline({ events, live, retry }: ReturnType<typeof useRunEvents>) {
  return (
    <section aria-labelledby="timeline-h" className="stack">
      <h2 id="timeline-h">Timeline</h2>
      <p className={`live live-${live}`} role="status" data-testid="live-state">
        {LIVE_TEXT[live]}{" "}
        {live === "stopped" ? (
          <button type="button" className="secondary small" onClick={retry}>
            Reconnect
          </button>
        ) : null}
      </p>
      {events.length === 0 ? (
        <p className="state empty">No events yet.</p>
      ) : (
        <div role="log" aria-label="Run events" aria-live="polite">
          <ol className="timeline">
            {events.map((e) => {
              const payload = payloadText(e.payload);
              return (
                <li key={e.seq} className={`event event-${e.type}`} data-seq={e.seq}>
                  <span className="seq">#{e.seq}</span>
                  <time dateTime={e.createdAt} className="muted">
                    {new Date(e.createdAt).toLocaleTimeString()}
                  </time>
                  <span className="badge">{e.type}</span>
                  {e.toolName ? <code>{e.toolName}</code> : null}
                  {e.message ? <span className="message">{e.message}</span> : null}
                  {payload ? (
                    <details>
                      <summary>Details</summary>
                      <pre>{payload}</pre>
                    </details>
                  ) : null}
                </li>
              );
            })}
          </ol>
        </div>
      )}
    </section>
  );
}

function Facts({ run, repo }: { run: Run; repo: Repo | null }) {
  return (
    <div className="grid-2">
      <section className="card" aria-labelledby="details-h">
        <h2 id="details-h">Details</h2>
        <dl className="facts">
          <dt>Repo</dt>
          <dd>{repo?.fullName ?? <code>{run.repoId}</code>}</dd>
          <dt>Branch</dt>
          <dd>
            <code>{run.branch.base}</code> → <code>{run.branch.working ?? run.branch.base}</code>
          </dd>
          {run.previewUrl ? (
            <>
              <dt>Preview</dt>
              <dd>
                <a href={run.previewUrl} target="_blank" rel="noopener noreferrer">
                  Open the dev server
                </a>
              </dd>
            </>
          ) : null}
          {run.packages.length > 0 ? (
            <>
              <dt>Packages</dt>
              <dd data-testid="run-packages">
                {run.packages.map((p, i) => (
                  <Fragment key={p}>
                    {i > 0 ? ", " : null}
                    <code>{p}</code>
                  </Fragment>
                ))}
              </dd>
            </>
          ) : null}
          <dt>Model</dt>
          <dd>{run.model ? <code>{run.model}</code> : <span className="muted">{modelText(run)}</span>}</dd>
          <dt>Harness</dt>
          <dd>{run.harness}</dd>
          <dt>Started from</dt>
          <dd>{run.source}</dd>
          <dt>Created</dt>
          <dd>
            <Time iso={run.createdAt} />
          </dd>
          <dt>Started</dt>
          <dd>
            <Time iso={run.startedAt} empty="Not yet" />
          </dd>
          <dt>Finished</dt>
          <dd>
            <Time iso={run.finishedAt} empty="Not yet" />
          </dd>
          {run.error ? (
            <>
              <dt>Error</dt>
              <dd className="error-text">{run.error}</dd>
            </>
          ) : null}
        </dl>
      </section>
      <section className="card" aria-labelledby="usage-h">
        <h2 id="usage-h">Usage</h2>
        <dl className="facts" data-testid="usage">
          <dt>Input tokens</dt>
          <dd>{run.usage.inputTokens.toLocaleString()}</dd>
          <dt>Output tokens</dt>
          <dd>{run.usage.outputTokens.toLocaleString()}</dd>
          <dt>Cost</dt>
          <dd>${run.usage.costUsd.toFixed(4)}</dd>
        </dl>
      </section>
    </div>
  );
}

export function RunDetailPage({ id }: { id: string }) {
  const { role } = useSession();
  const detail = useAsync(
    (signal) => get<{ run: Run; repo: Repo | null }>(`/api/web/runs/${encodeURIComponent(id)}`, signal),
    [id],
  );
  const run = detail.data?.run;
  const stream = useRunEvents(id, detail.reload, run ? isTerminalStatus(run.status) : undefined);
  const [cancelling, setCancelling] = useState(false);
  return (
    <>
      <p className="crumbs">
        <Link to="/runs">← All runs</Link>
      </p>
      <PageTitle sub={<span className="mono">Run {id}</span>}>
        {run ? promptTitle(run.prompt) : "Run"} {run ? <StatusBadge status={run.status} /> : null}
      </PageTitle>
      <Loaded a={detail} what="the run">
        {({ run: r, repo }) => (
          <>
            {!isTerminalStatus(r.status) && atLeast(role, "member") ? (
              <p>
                <button type="button" className="danger" onClick={() => setCancelling(true)}>
                  Cancel run
                </button>
              </p>
            ) : null}
            <section className="card prompt" aria-labelledby="prompt-h">
              <h2 id="prompt-h">Prompt</h2>
              <p className="prompt-text">{r.prompt}</p>
            </section>
            <Facts run={r} repo={repo} />
          </>
        )}
      </Loaded>
      <Timeline {...stream} />
      {cancelling ? (
        <Confirm
          title="Cancel this run?"
          confirmLabel="Cancel run"
          dismissLabel="Keep it running"
          danger
          onClose={() => setCancelling(false)}
          onConfirm={async () => {
            await post(`/api/web/runs/${encodeURIComponent(id)}/cancel`);
            detail.reload();
          }}
        >
          <p>The agent stops and its sandbox is removed. Work it already pushed stays.</p>
        </Confirm>
      ) : null}
    </>
  );
}
