// Settings → Connected apps: MCP clients connected to the gateway by OAuth (consented on /oauth/consent). Each
// has the allowlists of a gateway key; disconnecting revokes its tokens at once, on every replica.
import type { OAuthGrantSummary } from "@mogplex/contract";
import { useState } from "react";
import { del, get } from "../../api.js";
import { useSession } from "../../session.js";
import { CodeList, Confirm, Empty, Loaded, NoTeam, PageTitle, TableWrap, Time, useAsync } from "../../ui.js";

function GrantTable({
  grants,
  onRevoke,
}: {
  grants: OAuthGrantSummary[];
  onRevoke: (g: OAuthGrantSummary) => void;
}) {
  return (
    <TableWrap label="Connected apps">
      <table>
        <thead>
          <tr>
            <th scope="col">App</th>
            <th scope="col">Returns to</th>
            <th scope="col">Servers</th>
            <th scope="col">Tools or scopes</th>
            <th scope="col">Connected</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {grants.map((g) => (
            <tr key={g.id}>
              <td>{g.clientName}</td>
              <td>
                <code>{g.redirectHost}</code>
              </td>
              {g.resource === "platform" ? (
                <>
                  <td>Platform API</td>
                  <td>
                    <CodeList items={g.scopes ?? []} empty="none" />
                  </td>
                </>
              ) : (
                <>
                  <td>{g.servers === "all" ? "All servers" : <CodeList items={g.servers} empty="none" />}</td>
                  <td>
                    <CodeList items={g.tools ?? []} empty="All tools" />
                  </td>
                </>
              )}
              <td>
                <Time iso={g.createdAt} />
              </td>
              <td>
                <Time iso={g.lastUsedAt} empty="Never" />
              </td>
              <td className="nowrap">
                <button type="button" className="danger small" onClick={() => onRevoke(g)}>
                  Disconnect<span className="visually-hidden"> {g.clientName}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function ConnectedApps({ teamId }: { teamId: string }) {
  const grants = useAsync(
    (signal) => get<{ grants: OAuthGrantSummary[] }>("/api/settings/connected-apps", signal),
    [teamId],
  );
  const [revoking, setRevoking] = useState<OAuthGrantSummary | null>(null);
  return (
    <>
      <p className="hint">
        Add <code>{window.location.origin}/mcp</code> to an MCP client by URL; it asks you here to sign in and
        choose its tools.
      </p>
      <Loaded a={grants} what="connected apps">
        {(d) =>
          d.grants.length === 0 ? (
            <Empty>No apps are connected.</Empty>
          ) : (
            <GrantTable grants={d.grants} onRevoke={setRevoking} />
          )
        }
      </Loaded>
      {revoking ? (
        <Confirm
          title={`Disconnect “${revoking.clientName}”?`}
          confirmLabel="Disconnect"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await del(`/api/settings/connected-apps/${encodeURIComponent(revoking.id)}`);
            setRevoking(null);
            grants.reload();
          }}
        >
          <p>The app's tokens stop working immediately. It has to ask you again to reconnect.</p>
        </Confirm>
      ) : null}
    </>
  );
}

export function ConnectedAppsPage() {
  const { team } = useSession();
  return (
    <>
      <PageTitle>Connected apps</PageTitle>
      {team ? <ConnectedApps teamId={team.teamId} /> : <NoTeam />}
    </>
  );
}
