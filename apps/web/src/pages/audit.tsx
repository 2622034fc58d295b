// Audit log (owners and admins): who did what, newest first, 25 a page, filtered by action.
import { type FormEvent, useId, useState } from "react";
import { get } from "../api.js";
import { useSession } from "../session.js";
import { type AuditEvent, atLeast, type Member } from "../types.js";
import { Empty, Loaded, PageTitle, TableWrap, Time, useAsync } from "../ui.js";

/** Actions the server records, offered as suggestions; any exact action name works. */
const KNOWN_ACTIONS = [
  "auth.sign_in",
  "auth.sign_in_failed",
  "auth.second_factor_required",
  "auth.two_factor_enabled",
  "auth.two_factor_disabled",
  "token.created",
  "token.revoked",
  "session.revoked",
  "member.added",
  "member.role_changed",
  "member.removed",
  "invitation.created",
  "invitation.accepted",
  "invitation.revoked",
  "repo.added",
  "run.created",
  "run.cancel_requested",
  "model.denied",
  "cli_auth.consented",
  "cli_auth.denied",
  "device.approved",
  "device.denied",
  "account.deleted",
];

function Row({ e, names }: { e: AuditEvent; names: Map<string, string> }) {
  const actor = e.actor.type === "user" && e.actor.id ? (names.get(e.actor.id) ?? e.actor.id) : e.actor.type;
  const payload = e.payload === null || e.payload === undefined ? null : JSON.stringify(e.payload, null, 2);
  return (
    <tr>
      <td className="nowrap">
        <Time iso={e.createdAt} />
      </td>
      <td>
        <code>{e.action}</code>
      </td>
      <td>{actor}</td>
      <td>
        {e.targetType ? (
          <span>
            {e.targetType}{" "}
            {e.targetId ? (
              <code title={e.targetId}>{names.get(e.targetId) ?? e.targetId.slice(0, 12)}</code>
            ) : null}
          </span>
        ) : (
          "—"
        )}
      </td>
      <td>{e.ip ?? "—"}</td>
      <td>
        {payload ? (
          <details>
            <summary>
              Details
              <span className="visually-hidden">
                {" "}
                of {e.action} #{e.seq}
              </span>
            </summary>
            <pre>{payload}</pre>
            {e.requestId ? (
              <p className="hint">
                Request id <code>{e.requestId}</code>
              </p>
            ) : null}
          </details>
        ) : e.requestId ? (
          <code className="hint">{e.requestId}</code>
        ) : null}
      </td>
    </tr>
  );
}

export function AuditPage() {
  const { team, role } = useSession();
  const teamId = team?.teamId ?? "";
  const filterId = useId();
  const [draft, setDraft] = useState("");
  const [action, setAction] = useState("");
  // Cursors of the pages before this one, so "Newer" can go back.
  const [stack, setStack] = useState<Array<string | null>>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const allowed = atLeast(role, "admin");
  const page = useAsync(
    async (signal) => {
      if (!allowed) return { events: [], nextCursor: null };
      const q = new URLSearchParams();
      if (cursor) q.set("cursor", cursor);
      if (action) q.set("action", action);
      return get<{ events: AuditEvent[]; nextCursor: string | null }>(
        `/api/teams/${encodeURIComponent(teamId)}/audit-events?${q}`,
        signal,
      );
    },
    [teamId, cursor, action, allowed],
  );
  const members = useAsync(
    (signal) =>
      teamId
        ? get<{ members: Member[] }>(`/api/teams/${encodeURIComponent(teamId)}/members`, signal)
        : Promise.resolve({ members: [] }),
    [teamId],
  );
  const names = new Map((members.data?.members ?? []).map((m) => [m.userId, m.email]));

  if (!allowed) {
    return (
      <>
        <PageTitle>Audit log</PageTitle>
        <Empty>Only owners and admins of a team can read its audit log.</Empty>
      </>
    );
  }
  const filter = (e: FormEvent) => {
    e.preventDefault();
    setStack([]);
    setCursor(null);
    setAction(draft.trim());
  };
  return (
    <>
      <PageTitle sub="Every security-relevant change in this team, newest first. Entries are hash-chained and cannot be edited.">
        Audit log
      </PageTitle>
      <search>
        <form className="filters" onSubmit={filter}>
          <label htmlFor={filterId}>Action</label>
          <input
            id={filterId}
            list={`${filterId}-list`}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            placeholder="e.g. token.created"
            pattern="[a-z0-9_.]{1,64}"
            spellCheck={false}
          />
          <datalist id={`${filterId}-list`}>
            {KNOWN_ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
          <button type="submit" className="secondary">
            Filter
          </button>
          {action ? (
            <button
              type="button"
              className="link"
              onClick={() => {
                setDraft("");
                setStack([]);
                setCursor(null);
                setAction("");
              }}
            >
              Show all actions
            </button>
          ) : null}
        </form>
      </search>
      <Loaded a={page} what="the audit log">
        {({ events, nextCursor }) => (
          <>
            {events.length === 0 ? (
              <Empty>{action ? `No “${action}” entries.` : "No entries yet."}</Empty>
            ) : (
              <TableWrap label="Audit entries">
                <table className="audit">
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Action</th>
                      <th scope="col">Actor</th>
                      <th scope="col">Target</th>
                      <th scope="col">IP address</th>
                      <th scope="col">More</th>
                    </tr>
                  </thead>
                  <tbody>
                    {events.map((e) => (
                      <Row key={e.id} e={e} names={names} />
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )}
            <nav aria-label="Audit pages" className="pager">
              <button
                type="button"
                className="secondary"
                disabled={stack.length === 0}
                onClick={() => {
                  setCursor(stack[stack.length - 1] ?? null);
                  setStack((s) => s.slice(0, -1));
                }}
              >
                ← Newer
              </button>
              <span className="muted">Page {stack.length + 1}</span>
              <button
                type="button"
                className="secondary"
                disabled={nextCursor === null}
                onClick={() => {
                  setStack((s) => [...s, cursor]);
                  setCursor(nextCursor);
                }}
              >
                Older →
              </button>
            </nav>
          </>
        )}
      </Loaded>
    </>
  );
}
