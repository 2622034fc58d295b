// Spend policies: per token of the team, the limits a purchase made with it must stay within (owners and
// admins set them). Over a limit a purchase is refused or waits for an owner's approval.
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { get, post } from "../../api.js";
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
  useAction,
  useAsync,
} from "../../ui.js";
import { money, PACKAGE_TYPES, type SpendPolicy, teamPath } from "./shared.js";

interface TokenPolicy {
  tokenId: string;
  name: string;
  prefix: string;
  userId: string;
  revoked: boolean;
  policy: SpendPolicy | null;
}

const LIMITS = [
  ["maxPerPurchaseCents", "Most per purchase"],
  ["dailyLimitCents", "Daily limit"],
  ["monthlyLimitCents", "Monthly limit"],
  ["requireApprovalAboveCents", "Owner approval above"],
] as const;
type LimitKey = (typeof LIMITS)[number][0];

const dollarsOf = (cents: number | null | undefined) => (cents == null ? "" : (cents / 100).toFixed(2));
const centsOf = (dollars: string) => (dollars.trim() === "" ? null : Math.round(Number(dollars) * 100));

function limitText(p: SpendPolicy | null): string {
  if (!p) return "No policy: no limits";
  if (!p.active) return "Inactive: no limits";
  const parts = LIMITS.filter(([k]) => p[k] !== null).map(
    ([k, label]) => `${label} ${money(p[k] as number)}`,
  );
  if (p.vendorAllowlist) parts.push(`vendors: ${p.vendorAllowlist.join(", ") || "none"}`);
  if (p.blockedTypes.length > 0) parts.push(`blocked: ${p.blockedTypes.join(", ")}`);
  return parts.join("; ") || "Active, no limits set";
}

function PolicyForm({ t, teamId, onSaved }: { t: TokenPolicy; teamId: string; onSaved: () => void }) {
  const id = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  // The form opens above the list: move focus to it, so keyboard and screen-reader users land in it.
  useEffect(() => heading.current?.focus(), []);
  const p = t.policy;
  const [limits, setLimits] = useState<Record<LimitKey, string>>({
    maxPerPurchaseCents: dollarsOf(p?.maxPerPurchaseCents),
    dailyLimitCents: dollarsOf(p?.dailyLimitCents),
    monthlyLimitCents: dollarsOf(p?.monthlyLimitCents),
    requireApprovalAboveCents: dollarsOf(p?.requireApprovalAboveCents),
  });
  const [vendors, setVendors] = useState(p?.vendorAllowlist?.join(", ") ?? "");
  const [blocked, setBlocked] = useState<string[]>(p?.blockedTypes ?? []);
  const [onLimit, setOnLimit] = useState<string>(p?.onLimitExceeded ?? "block");
  const [active, setActive] = useState(p?.active ?? true);
  const act = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      const list = vendors
        .split(",")
        .map((v) => v.trim())
        .filter(Boolean);
      await post(teamPath(teamId, `spend-policies/${encodeURIComponent(t.tokenId)}`), {
        maxPerPurchaseCents: centsOf(limits.maxPerPurchaseCents),
        dailyLimitCents: centsOf(limits.dailyLimitCents),
        monthlyLimitCents: centsOf(limits.monthlyLimitCents),
        requireApprovalAboveCents: centsOf(limits.requireApprovalAboveCents),
        vendorAllowlist: list.length > 0 ? list : null,
        blockedTypes: blocked,
        onLimitExceeded: onLimit,
        active,
      });
      onSaved();
    });
  };
  return (
    <form onSubmit={submit} className="card stack" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`} ref={heading} tabIndex={-1}>
        Policy of “{t.name}” <code>{t.prefix}…</code>
      </h2>
      <p className="hint">Amounts in dollars; leave one empty for no limit.</p>
      <div className="row">
        {LIMITS.map(([k, label]) => (
          <p key={k}>
            <label htmlFor={`${id}-${k}`}>{label}</label>
            <input
              id={`${id}-${k}`}
              value={limits[k]}
              onChange={(e) => setLimits((l) => ({ ...l, [k]: e.target.value }))}
              inputMode="decimal"
              pattern="\d{1,7}(\.\d{1,2})?"
            />
          </p>
        ))}
      </div>
      <p>
        <label htmlFor={`${id}-vendors`}>Only these vendors (comma-separated slugs; empty = any)</label>
        <input
          id={`${id}-vendors`}
          value={vendors}
          onChange={(e) => setVendors(e.target.value)}
          spellCheck={false}
        />
      </p>
      <fieldset>
        <legend>Blocked package types</legend>
        {PACKAGE_TYPES.map((type) => (
          <label key={type} className="pair">
            <input
              type="checkbox"
              checked={blocked.includes(type)}
              onChange={(e) =>
                setBlocked((b) => (e.target.checked ? [...b, type] : b.filter((x) => x !== type)))
              }
            />{" "}
            {type}
          </label>
        ))}
      </fieldset>
      <div className="row">
        <p>
          <label htmlFor={`${id}-over`}>Over the daily or monthly limit</label>
          <select id={`${id}-over`} value={onLimit} onChange={(e) => setOnLimit(e.target.value)}>
            <option value="block">Refuse the purchase</option>
            <option value="approval">Ask an owner to approve it</option>
          </select>
        </p>
        <p>
          <label className="pair">
            <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> Policy
            active
          </label>
        </p>
      </div>
      <ErrorNote error={act.error} title="Policy not saved" />
      <div className="actions">
        <button type="submit" disabled={act.busy}>
          {act.busy ? "Saving…" : "Save policy"}
        </button>
      </div>
    </form>
  );
}

export function RegistryPoliciesPage() {
  const { team, role } = useSession();
  const teamId = team?.teamId ?? "";
  const a = useAsync(
    (signal) => get<{ tokens: TokenPolicy[] }>(teamPath(teamId, "spend-policies"), signal),
    [teamId],
  );
  const [editing, setEditing] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  if (!team) return <NoTeam />;
  return (
    <>
      <PageTitle sub="What each token of your team may spend on priced packages.">Spend policies</PageTitle>
      {!atLeast(role, "admin") ? (
        <Empty>Owners and admins of your team set spend policies.</Empty>
      ) : (
        <Loaded a={a} what="spend policies">
          {({ tokens }) => {
            const current = tokens.find((t) => t.tokenId === editing);
            return (
              <>
                {saved ? <Notice>Saved the policy of “{saved}”.</Notice> : null}
                {current ? (
                  <PolicyForm
                    key={current.tokenId}
                    t={current}
                    teamId={teamId}
                    onSaved={() => {
                      setSaved(current.name);
                      setEditing(null);
                      a.reload();
                    }}
                  />
                ) : null}
                {tokens.length === 0 ? (
                  <Empty>Your team has no tokens yet.</Empty>
                ) : (
                  <TableWrap label="Tokens and their policies">
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">Token</th>
                          <th scope="col">Policy</th>
                          <th scope="col">
                            <span className="visually-hidden">Actions</span>
                          </th>
                        </tr>
                      </thead>
                      <tbody>
                        {tokens.map((t) => (
                          <tr key={t.tokenId}>
                            <td>
                              {t.name} <code>{t.prefix}…</code>
                              {t.revoked ? <span className="badge status-revoked">revoked</span> : null}
                            </td>
                            <td>{limitText(t.policy)}</td>
                            <td>
                              {t.revoked ? null : (
                                <button
                                  type="button"
                                  className="secondary small"
                                  aria-label={`Edit the policy of ${t.name}`}
                                  onClick={() => {
                                    setSaved(null);
                                    setEditing(t.tokenId);
                                  }}
                                >
                                  Edit
                                </button>
                              )}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </TableWrap>
                )}
              </>
            );
          }}
        </Loaded>
      )}
    </>
  );
}
