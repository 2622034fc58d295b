// Spend approvals: purchases a token's policy sent to an owner. The list (pending first by default), and one
// approval's page — the approvalUrl of a 402 lands here, naming its team as ?team= — with Approve and Deny.
import { useEffect, useId, useState } from "react";
import { get, post } from "../../api.js";
import { Link, useLocation } from "../../router.js";
import { useSession } from "../../session.js";
import { atLeast } from "../../types.js";
import {
  Empty,
  ErrorNote,
  Loaded,
  NoTeam,
  Notice,
  PageTitle,
  TableWrap,
  Time,
  useAction,
  useAsync,
} from "../../ui.js";
import { money, type SpendApproval, teamPath } from "./shared.js";

const REASON: Record<string, string> = {
  above_threshold: "above the token's approval threshold",
  daily_limit: "over the token's daily limit",
  monthly_limit: "over the token's monthly limit",
};
const BADGE: Record<string, string> = {
  pending: "status-pending",
  approved: "status-success",
  consumed: "status-success",
  denied: "status-failed",
  expired: "status-expired",
};
const approvalPath = (id: string) => `/registry/approvals/${encodeURIComponent(id)}`;

function ApprovalBadge({ status }: { status: string }) {
  return <span className={`badge ${BADGE[status] ?? ""}`}>{status}</span>;
}

export function RegistryApprovalsPage() {
  const { team } = useSession();
  const teamId = team?.teamId ?? "";
  const [status, setStatus] = useState("pending");
  const filterId = useId();
  const a = useAsync(
    (signal) =>
      get<{ approvals: SpendApproval[] }>(
        teamPath(teamId, `approvals${status ? `?status=${status}` : ""}`),
        signal,
      ),
    [teamId, status],
  );
  if (!team) return <NoTeam />;
  return (
    <>
      <PageTitle sub="Purchases waiting for an owner of your team, and past decisions.">Approvals</PageTitle>
      <search>
        <form className="filters" onSubmit={(e) => e.preventDefault()}>
          <label htmlFor={filterId}>Show</label>
          <select id={filterId} value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="pending">Pending</option>
            <option value="">All</option>
            <option value="approved">Approved</option>
            <option value="consumed">Used</option>
            <option value="denied">Denied</option>
            <option value="expired">Expired</option>
          </select>
        </form>
      </search>
      <Loaded a={a} what="approvals">
        {({ approvals }) =>
          approvals.length === 0 ? (
            <Empty>{status === "pending" ? "Nothing is waiting for approval." : "No approvals."}</Empty>
          ) : (
            <TableWrap label="Approvals">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Package</th>
                    <th scope="col">Amount</th>
                    <th scope="col">Why</th>
                    <th scope="col">Status</th>
                    <th scope="col">Asked</th>
                  </tr>
                </thead>
                <tbody>
                  {approvals.map((x) => (
                    <tr key={x.id}>
                      <td>
                        <Link to={approvalPath(x.id)}>{x.listing}</Link>
                      </td>
                      <td>{money(x.amountCents)}</td>
                      <td>{REASON[x.reason] ?? x.reason}</td>
                      <td>
                        <ApprovalBadge status={x.status} />
                      </td>
                      <td>
                        <Time iso={x.createdAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </Loaded>
    </>
  );
}

function Decide({
  approval,
  teamId,
  onDecided,
}: {
  approval: SpendApproval;
  teamId: string;
  onDecided: (a: SpendApproval) => void;
}) {
  const act = useAction();
  const decide = (d: "approve" | "deny") =>
    act.run(async () => {
      const r = await post<{ approval: SpendApproval }>(
        teamPath(teamId, `approvals/${encodeURIComponent(approval.id)}/${d}`),
      );
      onDecided(r.approval);
    });
  return (
    <>
      <ErrorNote error={act.error} title="Not decided" />
      <div className="actions">
        <button type="button" disabled={act.busy} onClick={() => void decide("approve")}>
          Approve {money(approval.amountCents)}
        </button>
        <button type="button" className="danger" disabled={act.busy} onClick={() => void decide("deny")}>
          Deny
        </button>
      </div>
    </>
  );
}

export function RegistryApprovalPage({ id }: { id: string }) {
  const { info, team, role, chooseTeam } = useSession();
  const { search } = useLocation();
  const wanted = search.get("team");
  const member = wanted ? info.teams.find((t) => t.teamId === wanted) : team;
  // The link names its team: act in it (the page remounts) when it is one of ours.
  const switchTo = member && member.teamId !== team?.teamId ? member.teamId : null;
  useEffect(() => {
    if (switchTo) chooseTeam(switchTo);
  }, [switchTo, chooseTeam]);
  const teamId = member?.teamId ?? "";
  const a = useAsync(
    (signal) =>
      get<{ approval: SpendApproval }>(teamPath(teamId, `approvals/${encodeURIComponent(id)}`), signal),
    [teamId, id],
  );
  const [decided, setDecided] = useState<SpendApproval | null>(null);
  if (!member)
    return wanted ? (
      <>
        <PageTitle>Approval not found</PageTitle>
        <p>This approval belongs to a team you are not in.</p>
      </>
    ) : (
      <NoTeam />
    );
  if (switchTo) return null;
  return (
    <>
      <p className="crumbs">
        <Link to="/registry/approvals">Approvals</Link>
      </p>
      <Loaded a={a} what="the approval">
        {(d) => {
          const x = decided ?? d.approval;
          return (
            <>
              <PageTitle sub={`A purchase ${REASON[x.reason] ?? x.reason}.`}>Approve {x.listing}?</PageTitle>
              <dl className="facts">
                <dt>Package</dt>
                <dd>{x.listing}</dd>
                <dt>Vendor</dt>
                <dd>{x.vendor}</dd>
                <dt>Type</dt>
                <dd>{x.type}</dd>
                <dt>Amount</dt>
                <dd>{money(x.amountCents)}</dd>
                <dt>Status</dt>
                <dd>
                  <ApprovalBadge status={x.status} />
                </dd>
                <dt>Asked</dt>
                <dd>
                  <Time iso={x.createdAt} />
                </dd>
                <dt>Expires</dt>
                <dd>
                  <Time iso={x.expiresAt} />
                </dd>
              </dl>
              {decided ? (
                <Notice>
                  {decided.status === "approved"
                    ? "Approved: the same token's retry of this purchase now goes through, once."
                    : `Marked ${decided.status}.`}
                </Notice>
              ) : null}
              {x.status !== "pending" ? null : atLeast(role, "owner") ? (
                <Decide approval={x} teamId={teamId} onDecided={setDecided} />
              ) : (
                <p className="hint">Only an owner of the team can approve or deny it.</p>
              )}
            </>
          );
        }}
      </Loaded>
    </>
  );
}
