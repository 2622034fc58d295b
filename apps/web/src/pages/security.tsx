// Settings → Security: two-factor authentication (enrol, backup codes, turn off) and active sessions.
import { type FormEvent, useId, useState } from "react";
import { api, del, get } from "../api.js";
import { QrCode } from "../qr.js";
import { useSession } from "../session.js";
import type { SessionRow } from "../types.js";
import {
  Confirm,
  CopyButton,
  ErrorNote,
  Loaded,
  Notice,
  PageTitle,
  TableWrap,
  Time,
  useAsync,
} from "../ui.js";

/** A password step before a sensitive change; resolves the action's result or shows its error. */
function PasswordStep({
  action,
  button,
  onCancel,
  run,
}: {
  action: string;
  button: string;
  onCancel: () => void;
  run: (password: string) => Promise<void>;
}) {
  const id = useId();
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await run(password);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="stack inset">
      <p>
        <label htmlFor={id}>Your password, to {action}</label>
        <input
          id={id}
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
          autoComplete="current-password"
          // biome-ignore lint/a11y/noAutofocus: this field appears because the user just asked for it
          autoFocus
        />
      </p>
      <ErrorNote error={error} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? "Working…" : button}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function BackupCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <div className="stack inset reveal">
      <h3>Save your backup codes</h3>
      <p>
        Each code signs you in once if you lose your authenticator. They are shown only now; store them
        somewhere safe.
      </p>
      <ol className="codes mono">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ol>
      <p>
        <CopyButton text={codes.join("\n")} label="Copy all codes" />
      </p>
      <button type="button" onClick={onDone}>
        I have saved them
      </button>
    </div>
  );
}

/** Splits the base32 secret into groups of four so it can be typed into an authenticator by hand. */
const grouped = (secret: string) => secret.replace(/(.{4})/g, "$1 ").trim();

function Enrol({ onFinished }: { onFinished: () => Promise<void> }) {
  const [stage, setStage] = useState<"idle" | "password" | "code" | "codes">("idle");
  const [setup, setSetup] = useState<{ totpURI: string; backupCodes: string[] } | null>(null);
  const [code, setCode] = useState("");
  const [error, setError] = useState<unknown>(null);
  const id = useId();
  if (stage === "idle") {
    return (
      <button type="button" onClick={() => setStage("password")}>
        Turn on two-factor authentication
      </button>
    );
  }
  if (stage === "password") {
    return (
      <PasswordStep
        action="turn on two-factor authentication"
        button="Continue"
        onCancel={() => setStage("idle")}
        run={async (password) => {
          setSetup(await api("POST", "/api/auth/two-factor/enable", { body: { password }, quiet401: true }));
          setStage("code");
        }}
      />
    );
  }
  if (stage === "codes" && setup) {
    return <BackupCodes codes={setup.backupCodes} onDone={() => void onFinished()} />;
  }
  const secret = setup ? (new URL(setup.totpURI).searchParams.get("secret") ?? "") : "";
  const verify = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api("POST", "/api/auth/two-factor/verify-totp", { body: { code: code.trim() }, quiet401: true });
      setStage("codes");
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={(e) => void verify(e)} className="stack inset">
      <ol className="steps">
        <li>
          Scan this code with your authenticator app:
          {setup ? <QrCode text={setup.totpURI} label="QR code of your two-factor key" /> : null}
          <p>
            No camera? Add an account (time-based) with this key instead:{" "}
            <code className="secret" data-testid="totp-secret">
              {grouped(secret)}
            </code>{" "}
            <CopyButton text={secret} label="Copy key" />, or on the phone itself{" "}
            <a href={setup?.totpURI ?? "#"}>open the key in the app</a>.
          </p>
        </li>
        <li>
          <label htmlFor={id}>Enter the 6-digit code the app shows</label>
          <input
            id={id}
            value={code}
            onChange={(e) => setCode(e.target.value)}
            required
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9 ]{6,7}"
          />
        </li>
      </ol>
      <ErrorNote error={error} title="Not turned on" />
      <div className="actions">
        <button type="submit">Turn on</button>
        <button type="button" className="secondary" onClick={() => setStage("idle")}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function TwoFactor() {
  const { info, refresh } = useSession();
  const on = info.user.twoFactorEnabled;
  const [mode, setMode] = useState<"" | "disable" | "regen">("");
  const [codes, setCodes] = useState<string[] | null>(null);
  const [done, setDone] = useState("");
  return (
    <section className="card stack" aria-labelledby="tfa-h">
      <h2 id="tfa-h">Two-factor authentication</h2>
      <p>
        Status: <strong>{on ? "On" : "Off"}</strong>.{" "}
        {on
          ? "Signing in asks for a code from your authenticator app after your password."
          : "Add a code from an authenticator app to your password, so a stolen password alone is not enough."}
      </p>
      {done ? <Notice>{done}</Notice> : null}
      {!on ? (
        <Enrol
          onFinished={async () => {
            setDone("Two-factor authentication is on.");
            await refresh();
          }}
        />
      ) : codes ? (
        <BackupCodes codes={codes} onDone={() => setCodes(null)} />
      ) : mode === "regen" ? (
        <PasswordStep
          action="create new backup codes"
          button="Create new codes"
          onCancel={() => setMode("")}
          run={async (password) => {
            const r = await api<{ backupCodes: string[] }>(
              "POST",
              "/api/auth/two-factor/generate-backup-codes",
              {
                body: { password },
                quiet401: true,
              },
            );
            setMode("");
            setCodes(r.backupCodes);
          }}
        />
      ) : mode === "disable" ? (
        <PasswordStep
          action="turn off two-factor authentication"
          button="Turn off"
          onCancel={() => setMode("")}
          run={async (password) => {
            await api("POST", "/api/auth/two-factor/disable", { body: { password }, quiet401: true });
            setMode("");
            setDone("Two-factor authentication is off.");
            await refresh();
          }}
        />
      ) : (
        <div className="actions">
          <button type="button" className="secondary" onClick={() => setMode("regen")}>
            New backup codes
          </button>
          <button type="button" className="danger" onClick={() => setMode("disable")}>
            Turn off two-factor
          </button>
        </div>
      )}
    </section>
  );
}

/** "Firefox on Linux"-style summary; the full user agent stays in the title. */
function device(ua: string | null): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrom(e|ium)\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : /curl|node|undici/i.test(ua)
            ? "Script"
            : "Browser";
  const os = /Windows/.test(ua)
    ? "Windows"
    : /Android/.test(ua)
      ? "Android"
      : /iPhone|iPad/.test(ua)
        ? "iOS"
        : /Mac OS X/.test(ua)
          ? "macOS"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return os ? `${browser} on ${os}` : browser;
}

function Sessions() {
  const { signOut } = useSession();
  const list = useAsync((signal) => get<{ sessions: SessionRow[] }>("/api/me/sessions", signal), []);
  const [revoking, setRevoking] = useState<SessionRow | null>(null);
  return (
    <section className="stack" aria-labelledby="sessions-h">
      <h2 id="sessions-h">Active sessions</h2>
      <p className="muted">Browsers signed in to your account. Revoke any you don't recognise.</p>
      <Loaded a={list} what="sessions">
        {({ sessions }) => (
          <TableWrap label="Active sessions">
            <table>
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">IP address</th>
                  <th scope="col">Signed in</th>
                  <th scope="col">Last active</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sessions.map((s) => (
                  <tr key={s.id}>
                    <td title={s.userAgent ?? undefined}>
                      {device(s.userAgent)} {s.current ? <span className="badge">This browser</span> : null}
                    </td>
                    <td>{s.ip ?? "—"}</td>
                    <td>
                      <Time iso={s.createdAt} />
                    </td>
                    <td>
                      <Time iso={s.lastActiveAt} />
                    </td>
                    <td>
                      <button type="button" className="secondary small" onClick={() => setRevoking(s)}>
                        {s.current ? "Sign out" : "Revoke"}
                        <span className="visually-hidden"> session {device(s.userAgent)}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Loaded>
      {revoking ? (
        <Confirm
          title={revoking.current ? "Sign out of this browser?" : "Revoke this session?"}
          confirmLabel={revoking.current ? "Sign out" : "Revoke session"}
          danger={!revoking.current}
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            if (revoking.current) return signOut();
            await del(`/api/me/sessions/${encodeURIComponent(revoking.id)}`);
            list.reload();
          }}
        >
          <p>
            {device(revoking.userAgent)} from {revoking.ip ?? "an unknown address"} will have to sign in
            again.
          </p>
        </Confirm>
      ) : null}
    </section>
  );
}

export function SecurityPage() {
  return (
    <>
      <PageTitle>Security</PageTitle>
      <TwoFactor />
      <Sessions />
    </>
  );
}
