// Settings → Usage: what the model endpoint (the terminal agent's account-backed model access) used, per member,
// model and day, and the team's monthly budget. Owners and admins see everyone and set the budget; members see
// their own usage.
import type { LlmBudget, LlmUsage, LlmUsageRow } from "@mogplex/contract";
import { type FormEvent, useState } from "react";
import { api, get } from "../../api.js";
import { SelectField, TextField } from "../../fields.js";
import { useSession } from "../../session.js";
import { atLeast } from "../../types.js";
import { Empty, ErrorNote, Loaded, PageTitle, TableWrap, useAction, useAsync } from "../../ui.js";

const DAYS: ReadonlyArray<readonly [string, string]> = [
  ["7", "Last 7 days"],
  ["30", "Last 30 days"],
  ["90", "Last 90 days"],
];

const usd = (n: number) => `$${n.toFixed(n > 0 && n < 0.01 ? 4 : 2)}`;
const count = (n: number) => n.toLocaleString("en-US");

interface Total {
  key: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

function totals(rows: LlmUsageRow[], keyOf: (r: LlmUsageRow) => string): Total[] {
  const m = new Map<string, Total>();
  for (const r of rows) {
    const key = keyOf(r);
    const t = m.get(key) ?? { key, requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
    t.requests += r.requests;
    t.inputTokens += r.inputTokens;
    t.outputTokens += r.outputTokens;
    t.costUsd += r.costUsd;
    m.set(key, t);
  }
  return [...m.values()].sort((a, b) => b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens));
}

function TotalsTable({ label, head, items }: { label: string; head: string; items: Total[] }) {
  return (
    <section className="card stack" aria-label={label}>
      <h2>{label}</h2>
      <TableWrap label={label}>
        <table>
          <thead>
            <tr>
              <th scope="col">{head}</th>
              <th scope="col">Requests</th>
              <th scope="col">Input tokens</th>
              <th scope="col">Output tokens</th>
              <th scope="col">Cost</th>
            </tr>
          </thead>
          <tbody>
            {items.map((t) => (
              <tr key={t.key}>
                <td className="wrap">{t.key}</td>
                <td>{count(t.requests)}</td>
                <td>{count(t.inputTokens)}</td>
                <td>{count(t.outputTokens)}</td>
                <td>{usd(t.costUsd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </section>
  );
}

function BudgetCard({
  budget,
  teamId,
  admin,
  onSaved,
}: {
  budget: LlmBudget;
  teamId: string;
  admin: boolean;
  onSaved: () => void;
}) {
  const [value, setValue] = useState(budget.monthlyBudgetUsd === null ? "" : String(budget.monthlyBudgetUsd));
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const monthlyBudgetUsd = value.trim() === "" ? null : Number(value);
      await api("PATCH", `/api/teams/${encodeURIComponent(teamId)}/llm-budget`, {
        body: { monthlyBudgetUsd },
      });
      onSaved();
    });
  };
  const used = budget.monthlyBudgetUsd === null ? null : budget.monthToDateUsd >= budget.monthlyBudgetUsd;
  return (
    <section className="card stack" aria-labelledby="budget-h">
      <h2 id="budget-h">Monthly budget</h2>
      <dl className="facts">
        <dt>This month</dt>
        <dd>{usd(budget.monthToDateUsd)}</dd>
        <dt>Budget</dt>
        <dd>
          {budget.monthlyBudgetUsd === null ? "None" : usd(budget.monthlyBudgetUsd)}
          {used ? " (used up: requests are refused until it is raised or the month ends)" : ""}
        </dd>
      </dl>
      {admin ? (
        <form onSubmit={submit} className="stack" aria-label="Set the monthly budget">
          <TextField
            label="Monthly budget (USD)"
            hint="Empty for no budget. Costs come from the server's price table; models it does not know count as $0."
            value={value}
            onChange={setValue}
            inputMode="decimal"
            pattern="[0-9]+(\.[0-9]+)?"
          />
          <ErrorNote error={error} title="Budget not saved" />
          <div className="actions">
            <button type="submit" disabled={busy}>
              {busy ? "Saving…" : "Save budget"}
            </button>
          </div>
        </form>
      ) : (
        <p className="hint">A team owner or admin can change the budget.</p>
      )}
    </section>
  );
}

export function UsagePage() {
  const { team, role } = useSession();
  const teamId = team?.teamId ?? "";
  const [days, setDays] = useState("30");
  const usage = useAsync(
    (signal) => get<LlmUsage>(`/api/teams/${encodeURIComponent(teamId)}/llm-usage?days=${days}`, signal),
    [teamId, days],
  );
  const admin = atLeast(role, "admin");
  return (
    <>
      <PageTitle sub="Tokens and cost of the model endpoint the terminal agent uses with your Mogplex login.">
        Usage
      </PageTitle>
      <SelectField label="Period" value={days} options={DAYS} onChange={setDays} />
      <Loaded a={usage} what="usage">
        {(u) => (
          <>
            <BudgetCard budget={u.budget} teamId={teamId} admin={admin} onSaved={usage.reload} />
            {u.rows.length === 0 ? (
              <Empty>No model requests in this period.</Empty>
            ) : (
              <>
                {u.scope === "team" ? (
                  <TotalsTable
                    label="Per member"
                    head="Member"
                    items={totals(u.rows, (r) => r.userEmail ?? r.userId)}
                  />
                ) : (
                  <p className="hint">Your own usage; owners and admins see the whole team's.</p>
                )}
                <TotalsTable label="Per model" head="Model" items={totals(u.rows, (r) => r.model)} />
                <TotalsTable
                  label="Per day"
                  head="Day (UTC)"
                  items={totals(u.rows, (r) => r.day).sort((a, b) => (a.key < b.key ? 1 : -1))}
                />
              </>
            )}
          </>
        )}
      </Loaded>
    </>
  );
}
