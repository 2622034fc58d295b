// /cli-auth: `mogplex login` asks to sign in; on consent the CLI gets a one-time code, never the token.
import { useId, useState } from "react";
import { post } from "../api.js";
import { useLocation } from "../router.js";
import { useSession } from "../session.js";
import { CopyButton, ErrorNote, PageTitle } from "../ui.js";

/** The loopback listener the CLI opened: http://127.0.0.1|localhost|[::1]:<1024-65535>/callback. */
function loopback(raw: string | null): URL | null {
  if (!raw) return null;
  try {
    const u = new URL(raw);
    const hostOk = ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
    const port = Number(u.port);
    if (u.protocol !== "http:" || !hostOk || u.pathname !== "/callback" || port < 1024 || port > 65535)
      return null;
    return u;
  } catch {
    return null;
  }
}

const today = () => new Date().toISOString().slice(0, 10);

function TeamChoice({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const { info } = useSession();
  const id = useId();
  if (info.teams.length < 2) return null;
  return (
    <p>
      <label htmlFor={id}>Team the CLI acts in</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {info.teams.map((t) => (
          <option key={t.teamId} value={t.teamId}>
            {t.name} ({t.role})
          </option>
        ))}
      </select>
    </p>
  );
}

export function CliAuthPage() {
  const { search } = useLocation();
  const { info, team } = useSession();
  const callback = loopback(search.get("callback"));
  const nonce = search.get("nonce") ?? "";
  const challenge = search.get("code_challenge") ?? "";
  const method = search.get("code_challenge_method") ?? "";
  const [teamId, setTeamId] = useState(team?.teamId ?? info.teams[0]?.teamId ?? "");
  const [result, setResult] = useState<{ kind: "approved" | "denied"; url: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (!callback || !/^[0-9a-f]{32}$/.test(nonce) || !challenge || method !== "S256") {
    return (
      <>
        <PageTitle>This sign-in link is not valid</PageTitle>
        <p>
          The link must come from <code>mogplex login</code> on this computer. Run it again and use the link
          it opens.
        </p>
      </>
    );
  }

  const decide = async (approve: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const r = approve
        ? await post<{ redirectUrl: string }>("/api/cli-auth/consent", {
            callback: callback.href,
            nonce,
            codeChallenge: challenge,
            codeChallengeMethod: "S256",
            team: teamId || undefined,
          })
        : await post<{ redirectUrl: string }>("/api/cli-auth/deny", { callback: callback.href, nonce });
      setResult({ kind: approve ? "approved" : "denied", url: r.redirectUrl });
      // Hand the one-time code to the CLI's listener on this computer.
      window.location.assign(r.redirectUrl);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  if (result) {
    const code = new URL(result.url).searchParams.get("code");
    return (
      <>
        <PageTitle>{result.kind === "approved" ? "Return to your terminal" : "Sign-in denied"}</PageTitle>
        {result.kind === "approved" ? (
          <div className="card stack">
            <p>The CLI should finish signing in on its own. You can close this tab.</p>
            <p>
              If it doesn't, <a href={result.url}>continue to the Mogplex CLI</a>, or paste this code when it
              asks (it works once, for 60 seconds):
            </p>
            {code ? (
              <p className="copy-row">
                <code className="secret" data-testid="handoff-code">
                  {code}
                </code>
                <CopyButton text={code} label="Copy code" />
              </p>
            ) : null}
          </div>
        ) : (
          <p>No token was created. The CLI has been told.</p>
        )}
      </>
    );
  }

  return (
    <>
      <PageTitle>Sign in to the Mogplex CLI?</PageTitle>
      <div className="card stack">
        <p>
          The Mogplex CLI on this computer (listening on port <strong>{callback.port}</strong>) asks to act as{" "}
          <strong>{info.user.email}</strong>.
        </p>
        <p>
          Approving creates a personal access token named <strong>CLI on {today()}</strong> with the scopes{" "}
          <strong>read</strong> and <strong>write</strong>, valid for 90 days. You can revoke it any time
          under Settings → API keys.
        </p>
        <p className="warning">
          Only approve if you just ran <code>mogplex login</code> yourself.
        </p>
        <TeamChoice value={teamId} onChange={setTeamId} />
        <ErrorNote error={error} title="Not completed" />
        <div className="actions">
          <button type="button" onClick={() => void decide(true)} disabled={busy}>
            Approve
          </button>
          <button type="button" className="secondary" onClick={() => void decide(false)} disabled={busy}>
            Deny
          </button>
        </div>
      </div>
    </>
  );
}
