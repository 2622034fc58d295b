// Team: members and roles for everyone to see; role changes, removals and invitations for owners and admins.
import { type FormEvent, useId, useState } from "react";
import { api, del, get, post } from "../api.js";
import { useSession } from "../session.js";
import { atLeast, type Invitation, type Member, type Role } from "../types.js";
import {
  Confirm,
  CopyButton,
  Empty,
  ErrorNote,
  Loaded,
  PageTitle,
  StatusBadge,
  TableWrap,
  Time,
  useAsync,
} from "../ui.js";

const ROLE_HELP: Record<Role, string> = {
  owner: "everything, including deleting the team",
  admin: "manage members, repos, MCP servers and keys",
  member: "start and cancel runs, manage their own keys",
  viewer: "read only",
};

function rolesFor(actor: Role | undefined): Role[] {
  return actor === "owner" ? ["owner", "admin", "member", "viewer"] : ["admin", "member", "viewer"];
}

function RoleCell({ m, teamId, onChanged }: { m: Member; teamId: string; onChanged: () => void }) {
  const { role, info } = useSession();
  const id = useId();
  const [error, setError] = useState<unknown>(null);
  const canEdit =
    atLeast(role, "admin") && (m.role !== "owner" || role === "owner") && m.userId !== info.user.id;
  if (!canEdit) return <span className="badge">{m.role}</span>;
  const change = async (next: Role) => {
    setError(null);
    try {
      await api("PATCH", `/api/teams/${encodeURIComponent(teamId)}/members/${encodeURIComponent(m.userId)}`, {
        body: { role: next },
      });
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <label htmlFor={id} className="visually-hidden">
        Role of {m.name}
      </label>
      <select id={id} value={m.role} onChange={(e) => void change(e.target.value as Role)}>
        {rolesFor(role).map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <ErrorNote error={error} />
    </>
  );
}

function Members({ teamId }: { teamId: string }) {
  const { role, info } = useSession();
  const admin = atLeast(role, "admin");
  const list = useAsync(
    (signal) => get<{ members: Member[] }>(`/api/teams/${encodeURIComponent(teamId)}/members`, signal),
    [teamId],
  );
  const [removing, setRemoving] = useState<Member | null>(null);
  return (
    <section aria-labelledby="members-h" className="stack">
      <h2 id="members-h">Members</h2>
      <Loaded a={list} what="members">
        {({ members }) => (
          <TableWrap label="Team members">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Joined</th>
                  {admin ? (
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {members.map((m) => (
                  <tr key={m.userId}>
                    <td>
                      {m.name} {m.userId === info.user.id ? <span className="muted">(you)</span> : null}
                    </td>
                    <td>{m.email}</td>
                    <td>
                      <RoleCell m={m} teamId={teamId} onChanged={list.reload} />
                    </td>
                    <td>
                      <Time iso={m.joinedAt} />
                    </td>
                    {admin ? (
                      <td>
                        {m.userId !== info.user.id && (m.role !== "owner" || role === "owner") ? (
                          <button type="button" className="danger small" onClick={() => setRemoving(m)}>
                            Remove<span className="visually-hidden"> {m.name}</span>
                          </button>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Loaded>
      {removing ? (
        <Confirm
          title={`Remove ${removing.name} from the team?`}
          confirmLabel="Remove member"
          danger
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await del(
              `/api/teams/${encodeURIComponent(teamId)}/members/${encodeURIComponent(removing.userId)}`,
            );
            list.reload();
          }}
        >
          <p>
            {removing.email} loses access to this team at once; their tokens for it stop working. Records of
            what they did stay.
          </p>
        </Confirm>
      ) : null}
    </section>
  );
}

interface NewLink {
  id: string;
  url: string;
  email: string;
}

function InviteForm({
  teamId,
  link,
  onInvited,
}: {
  teamId: string;
  link: NewLink | null;
  onInvited: (l: NewLink) => void;
}) {
  const { role } = useSession();
  const ids = { email: useId(), role: useId() };
  const [email, setEmail] = useState("");
  const [newRole, setNewRole] = useState<Role>("member");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const inv = await post<{ id: string; token: string; email: string }>(
        `/api/teams/${encodeURIComponent(teamId)}/invitations`,
        { email: email.trim(), role: newRole },
      );
      setEmail("");
      onInvited({ id: inv.id, url: `${window.location.origin}/invite#token=${inv.token}`, email: inv.email });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="card stack" aria-labelledby="invite-h">
      <h2 id="invite-h">Invite someone</h2>
      <div className="row">
        <p>
          <label htmlFor={ids.email}>Email</label>
          <input
            id={ids.email}
            type="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
          />
        </p>
        <p>
          <label htmlFor={ids.role}>Role</label>
          <select id={ids.role} value={newRole} onChange={(e) => setNewRole(e.target.value as Role)}>
            {rolesFor(role).map((r) => (
              <option key={r} value={r}>
                {r} — {ROLE_HELP[r]}
              </option>
            ))}
          </select>
        </p>
      </div>
      <ErrorNote error={error} title="Not invited" />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? "Inviting…" : "Create invitation"}
        </button>
      </div>
      {link ? (
        <div className="reveal stack" role="status">
          <p>
            Send this link to <strong>{link.email}</strong> yourself (Mogplex does not send email). It works
            once, for 7 days, and is shown only now.
          </p>
          <span className="copy-row">
            <input aria-label="Invitation link" className="mono" readOnly value={link.url} />
            <CopyButton text={link.url} label="Copy link" />
          </span>
        </div>
      ) : null}
    </form>
  );
}

function Invitations({ teamId }: { teamId: string }) {
  const list = useAsync(
    (signal) =>
      get<{ invitations: Invitation[] }>(`/api/teams/${encodeURIComponent(teamId)}/invitations`, signal),
    [teamId],
  );
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const [link, setLink] = useState<NewLink | null>(null);
  return (
    <>
      <InviteForm
        teamId={teamId}
        link={link}
        onInvited={(l) => {
          setLink(l);
          list.reload();
        }}
      />
      <section aria-labelledby="inv-h" className="stack">
        <h2 id="inv-h">Invitations</h2>
        <Loaded a={list} what="invitations">
          {({ invitations }) =>
            invitations.length === 0 ? (
              <Empty>No invitations yet.</Empty>
            ) : (
              <TableWrap label="Invitations">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Email</th>
                      <th scope="col">Role</th>
                      <th scope="col">Status</th>
                      <th scope="col">Expires</th>
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {invitations.map((i) => (
                      <tr key={i.id}>
                        <td>{i.email}</td>
                        <td>{i.role}</td>
                        <td>
                          <StatusBadge status={i.status} />
                        </td>
                        <td>
                          <Time iso={i.expiresAt} />
                        </td>
                        <td>
                          {i.status === "pending" ? (
                            <button type="button" className="secondary small" onClick={() => setRevoking(i)}>
                              Revoke<span className="visually-hidden"> invitation for {i.email}</span>
                            </button>
                          ) : null}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )
          }
        </Loaded>
      </section>
      {revoking ? (
        <Confirm
          title={`Revoke the invitation for ${revoking.email}?`}
          confirmLabel="Revoke invitation"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await del(
              `/api/teams/${encodeURIComponent(teamId)}/invitations/${encodeURIComponent(revoking.id)}`,
            );
            list.reload();
          }}
        >
          <p>The link stops working.</p>
        </Confirm>
      ) : null}
    </>
  );
}

export function TeamPage() {
  const { team, role } = useSession();
  if (!team) {
    return (
      <>
        <PageTitle>Team</PageTitle>
        <Empty>You are not a member of any team. Ask an owner for an invitation.</Empty>
      </>
    );
  }
  return (
    <>
      <PageTitle
        sub={`You are ${role === "admin" || role === "owner" ? "an" : "a"} ${role}: ${ROLE_HELP[team.role]}.`}
      >
        {team.name}
      </PageTitle>
      <Members teamId={team.teamId} />
      {atLeast(role, "admin") ? <Invitations teamId={team.teamId} /> : null}
    </>
  );
}
