// First-run setup: the one-time link `mogplex serve` prints creates the first owner and their team, and signs
// them in.
import { type FormEvent, useId, useState } from "react";
import { api, post } from "../api.js";
import { TextField } from "../fields.js";
import { Link, navigate } from "../router.js";
import { ErrorNote, PageTitle } from "../ui.js";

const MIN_PASSWORD = 12;

/** Takes the token out of the address bar at once (it is a bearer secret for the next hour). */
function takeToken(): string {
  const hash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const token = hash.get("token") ?? "";
  if (window.location.hash) window.history.replaceState(null, "", window.location.pathname);
  return token;
}

export function SetupPage({ onDone }: { onDone: () => Promise<void> }) {
  const [token, setToken] = useState(takeToken);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [team, setTeam] = useState("default");
  const [error, setError] = useState<unknown>(null);
  const [mismatch, setMismatch] = useState(false);
  const [busy, setBusy] = useState(false);
  const ids = { token: useId(), pw: useId(), pw2: useId(), team: useId() };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMismatch(password !== confirm);
    if (password !== confirm) return;
    setBusy(true);
    setError(null);
    try {
      await post("/api/setup", {
        token: token.trim(),
        name,
        email,
        password,
        team: team.trim() || undefined,
      });
      // The owner just chose this password here: sign them in with it rather than asking for it again.
      const signedIn = await api("POST", "/api/auth/sign-in/email", {
        body: { email, password },
        quiet401: true,
      }).then(
        () => true,
        () => false,
      );
      if (!signedIn) {
        navigate("/login", {
          replace: true,
          state: { notice: "Your owner account is ready. Sign in to continue.", email },
        });
      }
      // The app decides between setup, sign-in and the pages from the server's answer: ask again now. Signed
      // in, it leaves /setup for the runs page.
      await onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <>
      <PageTitle sub="Create the first owner of this Mogplex server. You can invite your team afterwards.">
        Set up Mogplex
      </PageTitle>
      <form onSubmit={(e) => void submit(e)} className="card stack">
        {token === "" || error ? (
          <p>
            <label htmlFor={ids.token}>Setup token</label>
            <input
              id={ids.token}
              value={token}
              onChange={(e) => setToken(e.target.value)}
              required
              autoComplete="off"
              spellCheck={false}
              aria-describedby={`${ids.token}-hint`}
            />
            <span className="hint" id={`${ids.token}-hint`}>
              The part after <code>#token=</code> in the link <code>mogplex serve</code> printed when it
              started.
            </span>
          </p>
        ) : (
          <p className="muted">Using the setup token from your link.</p>
        )}
        <TextField
          label="Your name"
          value={name}
          onChange={setName}
          required
          maxLength={100}
          autoComplete="name"
        />
        <TextField
          label="Email"
          type="email"
          value={email}
          onChange={setEmail}
          required
          autoComplete="email"
        />
        <p>
          <label htmlFor={ids.pw}>Password</label>
          <input
            id={ids.pw}
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            minLength={MIN_PASSWORD}
            maxLength={256}
            autoComplete="new-password"
            aria-describedby={`${ids.pw}-hint`}
          />
          <span className="hint" id={`${ids.pw}-hint`}>
            At least {MIN_PASSWORD} characters. A passphrase of a few words works well.
          </span>
        </p>
        <p>
          <label htmlFor={ids.pw2}>Repeat the password</label>
          <input
            id={ids.pw2}
            type="password"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            required
            autoComplete="new-password"
            aria-invalid={mismatch}
          />
          {mismatch ? (
            <span className="field-error" role="alert">
              The two passwords differ.
            </span>
          ) : null}
        </p>
        <p>
          <label htmlFor={ids.team}>Team short name</label>
          <input
            id={ids.team}
            value={team}
            onChange={(e) => setTeam(e.target.value.toLowerCase())}
            pattern="[a-z0-9]([a-z0-9\-]{0,38}[a-z0-9])?"
            maxLength={40}
            aria-describedby={`${ids.team}-hint`}
          />
          <span className="hint" id={`${ids.team}-hint`}>
            Lowercase letters, digits and dashes, e.g. <code>acme</code>.
          </span>
        </p>
        <ErrorNote error={error} title="Setup failed" />
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? "Creating…" : "Create owner account"}
          </button>
        </div>
      </form>
    </>
  );
}

export function SetupNeededPage() {
  return (
    <>
      <PageTitle>This Mogplex server is not set up yet</PageTitle>
      <div className="card">
        <p>
          When <code>mogplex serve</code> first started, it printed a one-time setup link ending in{" "}
          <code>/setup#token=…</code>. Open that link to create the first owner. It is valid for one hour.
        </p>
        <p>
          If the link expired, restart the server for a new one, or create the owner from a shell with{" "}
          <code>mogplex admin create-user</code>.
        </p>
        <p>
          <Link to="/setup">I have a setup token</Link>
        </p>
      </div>
    </>
  );
}

export function SetupDonePage() {
  return (
    <>
      <PageTitle>Setup is already complete</PageTitle>
      <p>
        This server already has an owner. <Link to="/login">Sign in</Link>.
      </p>
    </>
  );
}
