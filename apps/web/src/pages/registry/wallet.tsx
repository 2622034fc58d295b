// The team's wallet: the balance (the sum of an append-only ledger) and its newest entries. Top-ups come from
// the operator (mogplex admin) or a payment provider, not from this page.

import { get } from "../../api.js";
import { useSession } from "../../session.js";
import { Empty, Loaded, NoTeam, PageTitle, TableWrap, Time, useAsync } from "../../ui.js";
import { money, teamPath, type Wallet } from "./shared.js";

const KIND: Record<string, string> = { topup: "Top-up", purchase: "Purchase", refund: "Refund" };

export function RegistryWalletPage() {
  const { team } = useSession();
  const teamId = team?.teamId ?? "";
  const a = useAsync((signal) => get<Wallet>(teamPath(teamId, "wallet"), signal), [teamId]);
  if (!team) return <NoTeam />;
  return (
    <>
      <PageTitle sub="What your team's purchases of priced packages are paid from.">Wallet</PageTitle>
      <Loaded a={a} what="the wallet">
        {(w) => (
          <>
            <dl className="facts">
              <dt>Balance</dt>
              <dd>
                <strong data-testid="balance">{money(w.balanceCents)}</strong>
              </dd>
            </dl>
            <h2>Ledger</h2>
            {w.entries.length === 0 ? (
              <Empty>No entries yet. The server's operator tops up a wallet.</Empty>
            ) : (
              <TableWrap label="Ledger">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Amount</th>
                      <th scope="col">Reference</th>
                    </tr>
                  </thead>
                  <tbody>
                    {w.entries.map((e) => (
                      <tr key={e.id}>
                        <td>
                          <Time iso={e.createdAt} />
                        </td>
                        <td>{KIND[e.kind] ?? e.kind}</td>
                        <td className="nowrap">
                          {e.amountCents < 0 ? "−" : "+"}
                          {money(Math.abs(e.amountCents))}
                        </td>
                        <td>
                          <code>{e.reference}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )}
          </>
        )}
      </Loaded>
    </>
  );
}
