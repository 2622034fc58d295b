// Accepting an invitation: join with the account you're signed in to, or create one with the invited email.
import { type FormEvent, useId, useState } from "react";
import { post } from "../api.js";
import { TextField } from "../fields.js";
import { Link, navigate } from "../router.js";
import { useSession } from "../session.js";
import { ErrorNote, PageTitle } from "../ui.js";

const KEY = "mogplex.invite";

/** The token leaves the address bar at once; it waits in this tab's storage while the person signs in. */
function takeToken(): string {
  const hash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const fromHash = hash.get("token");
  if (window.location.hash) window.history.replaceState(null, "", window.location.pathname);
  try {
    if (fromHash) window.sessionStorage.setItem(KEY, fromHash);
    return fromHash ?? window.sessionStorage.getItem(KEY) ?? "";
  } catch {
    return fromHash ?? "";
  }
}

function forget(): void {
  try {
    window.sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}

function Accept({ token }: { token: string }) {
  const { info, refresh, chooseTeam } = useSession();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const accept = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await post<{ membership: { teamId: string } }>("/api/invitations/accept", { token });
      forget();
      await refresh();
      chooseTeam(r.membership.teamId);
      navigate("/team", { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <div className="card stack">
      <p>
        Join the team as <strong>{info.user.email}</strong>. The invitation must have been sent to this
        address.
      </p>
      <ErrorNote error={error} title="Could not join" />
      <div className="actions">
        <button type="button" onClick={() => void accept()} disabled={busy}>
          {busy ? "Joining…" : "Accept invitation"}
        </button>
        <Link to="/runs">Not now</Link>
      </div>
    </div>
  );
}

function SignUp({ token }: { token: string }) {
  const ids = { pw: useId() };
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await post("/api/invitations/sign-up", { token, name, password });
      forget();
      navigate("/login", {
        replace: true,
        state: {
          notice: "Your account is ready. Sign in with the email address the invitation was sent to.",
        },
      });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <>
      <form onSubmit={(e) => void submit(e)} className="card stack" aria-labelledby="new-h">
        <h2 id="new-h">New to Mogplex? Create your account</h2>
        <TextField
          label="Your name"
          value={name}
          onChange={setName}
          required
          maxLength={100}
          autoComplete="name"
        />
        <p>
          <label htmlFor={ids.pw}>Choose a password</label>
          <input
            id={ids.pw}
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            minLength={12}
            autoComplete="new-password"
          />
          <span className="hint">At least 12 characters.</span>
        </p>
        <ErrorNote error={error} title="Account not created" />
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? "Creating…" : "Create account and join"}
          </button>
        </div>
      </form>
      <p>
        Already have an account? <Link to="/login?next=%2Finvite">Sign in</Link> and come back to accept.
      </p>
    </>
  );
}

export function InvitePage({ signedIn }: { signedIn: boolean }) {
  const [token] = useState(takeToken);
  return (
    <>
      <PageTitle>You're invited to a Mogplex team</PageTitle>
      {token === "" ? (
        <p>
          This page needs the invitation link you were sent (it ends in <code>#token=…</code>). Open that link
          again.
        </p>
      ) : signedIn ? (
        <Accept token={token} />
      ) : (
        <SignUp token={token} />
      )}
    </>
  );
}
