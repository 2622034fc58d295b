// Settings → Gateway keys: keys for MCP clients to reach the team's MCP servers through /mcp. A key is shown
// once (at creation and at rotation); the list has prefixes only. Members manage their own, admins every key.
import { useState } from "react";
import { del, get, post } from "../api.js";
import { useSession } from "../session.js";
import { atLeast, type ConnectionSummary, type CreatedGatewayKey, type GatewayKeySummary } from "../types.js";
import {
  type Async,
  CodeList,
  Confirm,
  Empty,
  Loaded,
  NoTeam,
  PageTitle,
  RevokeDialog,
  SecretReveal,
  TableWrap,
  Time,
  useAsync,
} from "../ui.js";
import { connectionsPath } from "./connections.js";
import { CreateKeyForm } from "./gateway-key-form.js";

function KeyTable({
  keys,
  ownerOf,
  onRotate,
  onRevoke,
}: {
  keys: GatewayKeySummary[];
  ownerOf?: (userId: string) => string;
  onRotate: (k: GatewayKeySummary) => void;
  onRevoke: (k: GatewayKeySummary) => void;
}) {
  return (
    <TableWrap label="Gateway keys">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Prefix</th>
            {ownerOf ? <th scope="col">Owner</th> : null}
            <th scope="col">Servers</th>
            <th scope="col">Tools</th>
            <th scope="col">Limit</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td>
                <code>{k.prefix}…</code>
              </td>
              {ownerOf ? <td>{ownerOf(k.userId)}</td> : null}
              <td>{k.servers === "all" ? "All servers" : <CodeList items={k.servers} empty="none" />}</td>
              <td>
                <CodeList items={k.tools ?? []} empty="All tools" />
              </td>
              <td className="nowrap">
                {k.rateLimitRps}/s
                {k.ipAllowlist ? <span className="hint"> · from {k.ipAllowlist.join(", ")}</span> : null}
              </td>
              <td>
                <Time iso={k.lastUsedAt} empty="Never" />
              </td>
              <td>
                <Time iso={k.expiresAt} empty="Never" />
              </td>
              <td className="nowrap">
                <div className="actions">
                  <button type="button" className="secondary small" onClick={() => onRotate(k)}>
                    Rotate<span className="visually-hidden"> {k.name}</span>
                  </button>
                  <button type="button" className="danger small" onClick={() => onRevoke(k)}>
                    Revoke<span className="visually-hidden"> {k.name}</span>
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** Names of the team's members, for the Owner column admins see (they see everyone's keys). */
function useOwners(teamId: string, admin: boolean): Async<Map<string, string>> {
  return useAsync(
    async (signal) => {
      if (!admin) return new Map<string, string>();
      const { members } = await get<{ members: Array<{ userId: string; name: string }> }>(
        `/api/teams/${encodeURIComponent(teamId)}/members`,
        signal,
      );
      return new Map(members.map((m) => [m.userId, m.name]));
    },
    [teamId, admin],
  );
}

function GatewayKeys({ teamId }: { teamId: string }) {
  const { role, info } = useSession();
  const admin = atLeast(role, "admin");
  const keys = useAsync(
    (signal) => get<{ keys: GatewayKeySummary[] }>("/api/settings/gateway-keys", signal),
    [teamId],
  );
  const servers = useAsync(
    async (signal) =>
      (await get<{ connections: ConnectionSummary[] }>(connectionsPath(teamId), signal)).connections.filter(
        (c) => c.kind === "mcp_server",
      ),
    [teamId],
  );
  const owners = useOwners(teamId, admin);
  const [shown, setShown] = useState<{ key: CreatedGatewayKey; rotated: boolean } | null>(null);
  const [rotating, setRotating] = useState<GatewayKeySummary | null>(null);
  const [revoking, setRevoking] = useState<GatewayKeySummary | null>(null);
  const ownerOf = (userId: string) =>
    userId === info.user.id ? "You" : (owners.data?.get(userId) ?? "A former member");
  const keyPath = (k: GatewayKeySummary) => `/api/settings/gateway-keys/${encodeURIComponent(k.id)}`;

  return (
    <>
      {shown ? (
        <SecretReveal
          title={shown.rotated ? "Copy the rotated key now" : "Copy your new gateway key now"}
          label="New gateway key"
          secret={shown.key.key}
          copyLabel="Copy key"
          onDone={() => setShown(null)}
        >
          <p className="hint">
            Point your MCP client at <code>{window.location.origin}/mcp</code> with the header{" "}
            <code>Authorization: Bearer {shown.key.prefix}…</code>.
          </p>
        </SecretReveal>
      ) : role === "viewer" ? (
        <p className="muted">Viewers cannot create gateway keys. Ask an admin to change your role.</p>
      ) : (
        <Loaded a={servers} what="the team's MCP servers">
          {(list) => (
            <CreateKeyForm
              servers={list}
              onCreated={(k) => {
                setShown({ key: k, rotated: false });
                keys.reload();
              }}
            />
          )}
        </Loaded>
      )}
      <h2>{admin ? "Keys in this team" : "Your keys"}</h2>
      <Loaded a={keys} what="gateway keys">
        {({ keys: list }) =>
          list.length === 0 ? (
            <Empty>
              <p>No gateway keys yet.</p>
            </Empty>
          ) : (
            <KeyTable
              keys={list}
              ownerOf={admin ? ownerOf : undefined}
              onRotate={setRotating}
              onRevoke={setRevoking}
            />
          )
        }
      </Loaded>
      {rotating ? (
        <Confirm
          title={`Rotate “${rotating.name}”?`}
          confirmLabel="Rotate key"
          onClose={() => setRotating(null)}
          onConfirm={async () => {
            const next = await post<CreatedGatewayKey>(`${keyPath(rotating)}/rotate`);
            setShown({ key: next, rotated: true });
            keys.reload();
          }}
        >
          <p>
            A new key replaces <code>{rotating.prefix}…</code>: anything still using the old one stops working
            on its next request. The new key is shown once.
          </p>
        </Confirm>
      ) : null}
      {revoking ? (
        <RevokeDialog
          what="key"
          item={revoking}
          onClose={() => setRevoking(null)}
          onRevoke={async () => {
            await del(keyPath(revoking));
            if (shown?.key.id === revoking.id) setShown(null);
            keys.reload();
          }}
        />
      ) : null}
    </>
  );
}

export function GatewayKeysPage() {
  const { team } = useSession();
  return (
    <>
      <PageTitle sub="Keys that let MCP clients, such as editors and agents, use your team's MCP servers through Mogplex.">
        Gateway keys
      </PageTitle>
      {team ? <GatewayKeys teamId={team.teamId} /> : <NoTeam />}
    </>
  );
}
