// Settings → Connections: the team's MCP servers and REST APIs, listed first (four columns that fit a laptop
// screen; cards on a phone). Every member reads their names and shapes; owners and admins add, change and
// delete them in the form below the list. Header and env values are write-only: no answer carries them.
import { useEffect, useState } from "react";
import { del, get } from "../api.js";
import { useSession } from "../session.js";
import { atLeast, type ConnectionSummary, type Repo } from "../types.js";
import { CodeList, Confirm, Empty, Loaded, NoTeam, PageTitle, TableWrap, Time, useAsync } from "../ui.js";
import { Exclusions } from "./connection-exclusions.js";
import { ConnectionForm, shapeLabel } from "./connection-form.js";
import { RunToolsPolicyCard } from "./run-tools-policy.js";

export const connectionsPath = (teamId: string) => `/api/teams/${encodeURIComponent(teamId)}/connections`;

function Endpoint({ c }: { c: ConnectionSummary }) {
  if (c.command)
    return (
      <>
        <code>{[c.command, ...c.args].join(" ")}</code>
        <br />
        <span className="hint">
          Network: <CodeList items={c.egressHosts} empty="none" />
        </span>
        {c.mounts.length > 0 ? (
          <span className="hint">
            Read-only: <CodeList items={c.mounts} empty="none" />
          </span>
        ) : null}
      </>
    );
  return <code>{c.url}</code>;
}

const STATUS: Record<ConnectionSummary["status"], readonly [string, string]> = {
  ok: ["working", "status-success"],
  failing: ["failing", "status-failed"],
  untested: ["not started yet", ""],
  disabled: ["disabled", ""],
};

/** Whether the gateway could start it, and if not, when and why (the server's own words, redacted). */
function Status({ c }: { c: ConnectionSummary }) {
  const [label, tone] = STATUS[c.status];
  return (
    <>
      <span className={`badge ${tone}`.trim()}>{label}</span>
      {c.lastError ? (
        <>
          <span className="hint">
            Last error <Time iso={c.lastError.at} />:
          </span>
          <pre>{c.lastError.message}</pre>
        </>
      ) : null}
    </>
  );
}

interface TableProps {
  connections: ConnectionSummary[];
  repoName: (id: string) => string;
  admin: boolean;
  onEdit: (c: ConnectionSummary) => void;
  onDelete: (c: ConnectionSummary) => void;
}

function ConnectionTable({ connections, repoName, admin, onEdit, onDelete }: TableProps) {
  return (
    <TableWrap label="Connections">
      <table className="connections">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Endpoint</th>
            <th scope="col">Status</th>
            {admin ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {connections.map((c) => (
            <tr key={c.id}>
              {/* One block per cell: on a phone each cell is a flex row of its label and this. */}
              <td>
                <div>
                  <strong>{c.name}</strong>
                  <span className="hint">{shapeLabel(c)}</span>
                  <span className="hint">{c.repoId ? `${repoName(c.repoId)} only` : "Every repo"}</span>
                </div>
              </td>
              <td>
                <div>
                  <Endpoint c={c} />
                  <span className="hint">
                    Secret names: <CodeList items={[...c.headerNames, ...c.envNames]} empty="none" />
                  </span>
                </div>
              </td>
              <td>
                <div>
                  <Status c={c} />
                  <span className="hint">
                    Changed <Time iso={c.updatedAt} />
                  </span>
                </div>
              </td>
              {admin ? (
                <td>
                  <div className="actions">
                    <button
                      type="button"
                      className="secondary small"
                      data-edit={c.id}
                      onClick={() => onEdit(c)}
                    >
                      Edit<span className="visually-hidden"> {c.name}</span>
                    </button>
                    <button type="button" className="danger small" onClick={() => onDelete(c)}>
                      Delete<span className="visually-hidden"> {c.name}</span>
                    </button>
                  </div>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function Connections({ teamId }: { teamId: string }) {
  const { role } = useSession();
  const admin = atLeast(role, "admin");
  const base = connectionsPath(teamId);
  const list = useAsync((signal) => get<{ connections: ConnectionSummary[] }>(base, signal), [base]);
  const repos = useAsync((signal) => get<{ repos: Repo[] }>("/api/web/repos?limit=200", signal), [teamId]);
  const [editing, setEditing] = useState<ConnectionSummary | null>(null);
  const [deleting, setDeleting] = useState<ConnectionSummary | null>(null);
  const [notice, setNotice] = useState("");
  const [formKey, setFormKey] = useState(0);
  const [returnTo, setReturnTo] = useState<string | null>(null);
  const repoList = repos.data?.repos ?? [];
  const repoName = (id: string) => repoList.find((r) => r.id === id)?.fullName ?? id;

  // Leaving an edit puts focus back on the row's Edit button, once the list shows it again.
  useEffect(() => {
    if (!returnTo || list.loading) return;
    document.querySelector<HTMLElement>(`[data-edit="${CSS.escape(returnTo)}"]`)?.focus();
    setReturnTo(null);
  }, [returnTo, list.loading]);

  const closeEdit = (message: string) => {
    setNotice(message);
    setReturnTo(editing?.id ?? null);
    setEditing(null);
    setFormKey((k) => k + 1);
    list.reload();
  };

  return (
    <>
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <h2>Connections of this team</h2>
      <p className="hint">
        Header and environment values are stored encrypted and never shown here; only their names are.
      </p>
      <Loaded a={list} what="connections">
        {({ connections }) =>
          connections.length === 0 ? (
            <Empty>
              <p>
                No connections yet.
                {admin ? " Add an MCP server below." : " An owner or admin of your team can add one."}
              </p>
            </Empty>
          ) : (
            <ConnectionTable
              connections={connections}
              repoName={repoName}
              admin={admin}
              onEdit={(c) => {
                setNotice("");
                setEditing(c);
              }}
              onDelete={setDeleting}
            />
          )
        }
      </Loaded>
      {admin ? (
        <>
          <ConnectionForm
            key={editing ? `edit-${editing.id}` : `new-${formKey}`}
            teamId={teamId}
            repos={repoList}
            existing={editing ?? undefined}
            onSaved={(c) => closeEdit(editing ? `Saved ${c.name}.` : `Added ${c.name}.`)}
            onCancel={editing ? () => closeEdit("") : undefined}
          />
          {editing && !editing.repoId && repoList.length > 0 ? (
            <Exclusions teamId={teamId} connection={editing} repos={repoList} />
          ) : null}
          <RunToolsPolicyCard teamId={teamId} />
        </>
      ) : (
        <p className="muted">Only owners and admins of the team can add or change connections.</p>
      )}
      {deleting ? (
        <Confirm
          title={`Delete “${deleting.name}”?`}
          confirmLabel="Delete connection"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await del(`${base}/${encodeURIComponent(deleting.id)}`);
            if (editing?.id === deleting.id) setEditing(null);
            setNotice(`Deleted ${deleting.name}.`);
            list.reload();
          }}
        >
          <p>
            Runs and gateway keys can no longer use it, and its stored header and environment values are
            deleted. This cannot be undone.
          </p>
        </Confirm>
      ) : null}
    </>
  );
}

export function ConnectionsPage() {
  const { team } = useSession();
  return (
    <>
      <PageTitle sub="MCP servers and REST APIs that your team's runs and gateway keys can use.">
        Connections
      </PageTitle>
      {team ? <Connections teamId={team.teamId} /> : <NoTeam />}
    </>
  );
}
