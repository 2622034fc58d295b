// Sign-in: email and password, then (when 2FA is on) an authenticator code or a backup code.
import { type FormEvent, useId, useState } from "react";
import { api } from "../api.js";
import { TextField } from "../fields.js";
import { useLocation } from "../router.js";
import { ErrorNote, Notice, PageTitle } from "../ui.js";

interface LoginState {
  notice?: string;
  email?: string;
}

export function LoginPage({ notice, onSignedIn }: { notice?: string; onSignedIn: () => Promise<void> }) {
  const loc = useLocation();
  const st = (loc.state ?? {}) as LoginState;
  const [step, setStep] = useState<"password" | "totp" | "backup">("password");
  const [email, setEmail] = useState(st.email ?? "");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const ids = { code: useId() };

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const signIn = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await api<{ twoFactorRedirect?: boolean }>("POST", "/api/auth/sign-in/email", {
        body: { email, password },
        quiet401: true,
      });
      setPassword("");
      if (r?.twoFactorRedirect) {
        setStep("totp");
        return;
      }
      await onSignedIn();
    });
  };

  const verify = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const path = step === "totp" ? "verify-totp" : "verify-backup-code";
      await api("POST", `/api/auth/two-factor/${path}`, { body: { code: code.trim() }, quiet401: true });
      await onSignedIn();
    });
  };

  if (step !== "password") {
    const totp = step === "totp";
    return (
      <>
        <PageTitle sub="Your account has two-factor authentication turned on.">Enter your code</PageTitle>
        <form onSubmit={verify} className="card stack">
          <p>
            <label htmlFor={ids.code}>
              {totp ? "6-digit code from your authenticator app" : "Backup code"}
            </label>
            <input
              id={ids.code}
              key={step}
              value={code}
              onChange={(e) => setCode(e.target.value)}
              required
              autoComplete="one-time-code"
              inputMode={totp ? "numeric" : "text"}
              pattern={totp ? "[0-9 ]{6,7}" : undefined}
              spellCheck={false}
              // biome-ignore lint/a11y/noAutofocus: the only field of this step, right after the password
              autoFocus
            />
          </p>
          <ErrorNote error={error} title="Not signed in" />
          <div className="actions">
            <button type="submit" disabled={busy}>
              {busy ? "Checking…" : "Verify"}
            </button>
            <button
              type="button"
              className="link"
              onClick={() => {
                setCode("");
                setError(null);
                setStep(totp ? "backup" : "totp");
              }}
            >
              {totp ? "Use a backup code instead" : "Use my authenticator app instead"}
            </button>
          </div>
          <p className="hint">After 5 wrong codes, sign-in is locked for 15 minutes.</p>
        </form>
      </>
    );
  }

  const message = st.notice ?? notice;
  return (
    <>
      <PageTitle>Sign in to Mogplex</PageTitle>
      {message ? <Notice>{message}</Notice> : null}
      <form onSubmit={signIn} className="card stack">
        <TextField
          label="Email"
          type="email"
          value={email}
          onChange={setEmail}
          required
          autoComplete="username"
        />
        <TextField
          label="Password"
          type="password"
          value={password}
          onChange={setPassword}
          required
          autoComplete="current-password"
        />
        <ErrorNote error={error} title="Not signed in" />
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </div>
        <p className="hint">
          Forgot your password? There is no reset by email yet: ask the operator of this server.
        </p>
      </form>
    </>
  );
}
