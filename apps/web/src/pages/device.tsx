// /device: approve or deny a `mogplex login --device` request by the code shown in the terminal.
import { type FormEvent, useEffect, useId, useState } from "react";
import { ApiFailure, get, post } from "../api.js";
import { navigate, useLocation } from "../router.js";
import { useSession } from "../session.js";
import type { PendingDeviceRequest } from "../types.js";
import { ErrorNote, Loading, Notice, PageTitle, useAsync } from "../ui.js";

/** "9 minutes", "1 hour", "less than a minute". */
export function duration(seconds: number): string {
  if (seconds < 60) return "less than a minute";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.floor(minutes / 60);
  return `${hours} hour${hours === 1 ? "" : "s"}`;
}

/** Seconds elapsed since the component mounted, refreshed every few seconds. */
function useElapsed(): number {
  const [start] = useState(() => Date.now());
  const [now, setNow] = useState(start);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 5_000);
    return () => clearInterval(t);
  }, []);
  return Math.floor((now - start) / 1000);
}

/** The CLI names itself `mogplex-cli/<version> (node …)`; anything else is shown as sent. */
function clientName(agent: string | null): string {
  if (!agent) return "Unknown client (it sent no name)";
  const cli = /^mogplex-cli\/(\S+)/.exec(agent);
  return cli ? `Mogplex CLI ${cli[1]}` : agent;
}

function EnterCode({ initial }: { initial: string }) {
  const id = useId();
  const [code, setCode] = useState(initial);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(`/device?user_code=${encodeURIComponent(code.trim().toUpperCase())}`);
  };
  return (
    <form onSubmit={submit} className="card stack">
      <p>
        <label htmlFor={id}>Code shown in your terminal</label>
        <input
          id={id}
          value={code}
          onChange={(e) => setCode(e.target.value)}
          required
          autoComplete="off"
          spellCheck={false}
          placeholder="BCDF-GHJK"
          className="mono code-input"
          // biome-ignore lint/a11y/noAutofocus: the page's only field
          autoFocus
        />
      </p>
      <div className="actions">
        <button type="submit">Continue</button>
      </div>
    </form>
  );
}

function Decide({ code }: { code: string }) {
  const { info, team } = useSession();
  const teamFieldId = useId();
  const pending = useAsync(
    (signal) => get<PendingDeviceRequest>(`/api/web/device-requests/${encodeURIComponent(code)}`, signal),
    [code],
  );
  const [teamId, setTeamId] = useState(team?.teamId ?? info.teams[0]?.teamId ?? "");
  const [done, setDone] = useState<"approved" | "denied" | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const elapsed = useElapsed();

  if (done) {
    return done === "approved" ? (
      <Notice>Device approved. Return to your terminal; it finishes signing in within a few seconds.</Notice>
    ) : (
      <Notice>Request denied. No token was created.</Notice>
    );
  }
  if (pending.loading && !pending.data) return <Loading what="Looking up the code" />;
  if (pending.error || !pending.data) {
    const gone = pending.error instanceof ApiFailure && pending.error.status === 404;
    return (
      <>
        {gone ? (
          <div className="error" role="alert">
            That code is unknown, expired or already used. Check it against your terminal, or run{" "}
            <code>mogplex login --device</code> again.
          </div>
        ) : (
          <ErrorNote error={pending.error} />
        )}
        <EnterCode initial="" />
      </>
    );
  }
  const p = pending.data;
  const left = p.expiresInSeconds - elapsed;
  if (left <= 0) {
    return (
      <>
        <div className="error" role="alert">
          Code <code>{p.userCode}</code> has expired. Run <code>mogplex login --device</code> again for a new
          one.
        </div>
        <EnterCode initial="" />
      </>
    );
  }
  const ago = p.requestedSecondsAgo + elapsed;
  const decide = async (approve: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await post(`/api/cli-auth/device/${approve ? "approve" : "deny"}`, {
        userCode: p.userCode,
        team: teamId || undefined,
      });
      setDone(approve ? "approved" : "denied");
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <div className="card stack">
      <p>
        A device asks to sign in to Mogplex as <strong>{info.user.email}</strong>.
      </p>
      <dl className="facts">
        <dt>Code</dt>
        <dd>
          <code className="secret">{p.userCode}</code>
        </dd>
        <dt>Client</dt>
        <dd title={p.requesterAgent ?? undefined}>{clientName(p.requesterAgent)}</dd>
        <dt>Requested</dt>
        <dd>
          <time dateTime={p.requestedAt}>{ago < 60 ? "just now" : `${duration(ago)} ago`}</time>
          {p.requesterIp ? ` from ${p.requesterIp}` : null}
        </dd>
        <dt>Expires</dt>
        <dd>
          <time dateTime={p.expiresAt}>in {duration(left)}</time>
        </dd>
      </dl>
      {p.client === "mog" ? (
        <p>
          Approving creates a token for the <code>mog</code> package CLI with the <strong>read</strong>,{" "}
          <strong>download</strong> and <strong>purchase</strong> scopes (and <strong>sell</strong> if the
          team has a vendor or you are its owner or admin), valid for 90 days.
        </p>
      ) : (
        <p>
          Approving creates a token with the <strong>read</strong> and <strong>write</strong> scopes, valid
          for 90 days, for the device to use.
        </p>
      )}
      <p className="warning">
        Only approve if you started <code>{p.client === "mog" ? "mog auth" : "mogplex login --device"}</code>{" "}
        yourself and this code matches your terminal.
      </p>
      {info.teams.length > 1 ? (
        <p>
          <label htmlFor={teamFieldId}>Team the device acts in</label>
          <select id={teamFieldId} value={teamId} onChange={(e) => setTeamId(e.target.value)}>
            {info.teams.map((t) => (
              <option key={t.teamId} value={t.teamId}>
                {t.name} ({t.role})
              </option>
            ))}
          </select>
        </p>
      ) : null}
      <ErrorNote error={error} title="Not completed" />
      <div className="actions">
        <button type="button" onClick={() => void decide(true)} disabled={busy}>
          Approve device
        </button>
        <button type="button" className="secondary" onClick={() => void decide(false)} disabled={busy}>
          Deny
        </button>
      </div>
    </div>
  );
}

export function DevicePage() {
  const { search } = useLocation();
  const code = (search.get("user_code") ?? "").trim();
  return (
    <>
      <PageTitle sub="Signing in the Mogplex CLI on another machine (for example over SSH).">
        Approve a device
      </PageTitle>
      {code ? <Decide key={code} code={code} /> : <EnterCode initial="" />}
    </>
  );
}
