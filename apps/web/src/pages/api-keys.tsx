// Settings → API keys: create a personal access token (shown once), list them, revoke with confirmation.
import { type FormEvent, useId, useState } from "react";
import { del, get, post } from "../api.js";
import { useSession } from "../session.js";
import type { CreatedToken, TokenSummary } from "../types.js";
import {
  Confirm,
  CopyButton,
  Empty,
  ErrorNote,
  Loaded,
  PageTitle,
  TableWrap,
  Time,
  useAsync,
} from "../ui.js";

const EXPIRY_CHOICES: Array<[string, string]> = [
  ["30", "30 days"],
  ["90", "90 days"],
  ["365", "1 year"],
  ["", "Never"],
];

function NewToken({ created, onDone }: { created: CreatedToken; onDone: () => void }) {
  const id = useId();
  return (
    <section className="card reveal" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Copy your new token now</h2>
      <p>
        This is the only time Mogplex shows it. Store it somewhere safe, such as a password manager; if you
        lose it, revoke it and create another.
      </p>
      <p>
        <label htmlFor={id}>New token</label>
        <span className="copy-row">
          <input id={id} className="mono" readOnly value={created.token} onFocus={(e) => e.target.select()} />
          <CopyButton text={created.token} label="Copy token" />
        </span>
      </p>
      <p className="hint">
        Use it as <code>Authorization: Bearer {created.prefix}…</code>, or <code>MOGPLEX_API_KEY</code> for
        the CLI.
      </p>
      <button type="button" onClick={onDone}>
        I have copied it
      </button>
    </section>
  );
}

function CreateForm({ onCreated }: { onCreated: (t: CreatedToken) => void }) {
  const { role } = useSession();
  const viewer = role === "viewer";
  const [name, setName] = useState("");
  const [read, setRead] = useState(true);
  const [write, setWrite] = useState(!viewer);
  const [expiry, setExpiry] = useState("90");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const ids = { name: useId(), exp: useId(), scopes: useId() };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const scopes = [...(read ? ["read"] : []), ...(write ? ["write"] : [])];
      const created = await post<CreatedToken>("/api/settings/api-keys", {
        name: name.trim(),
        scopes,
        ...(expiry ? { expiresInDays: Number(expiry) } : {}),
      });
      setName("");
      onCreated(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} className="card stack" aria-labelledby={`${ids.name}-h`}>
      <h2 id={`${ids.name}-h`}>Create a token</h2>
      <p>
        <label htmlFor={ids.name}>Name</label>
        <input
          id={ids.name}
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={100}
          placeholder="e.g. laptop CLI"
          aria-describedby={`${ids.name}-hint`}
        />
        <span className="hint" id={`${ids.name}-hint`}>
          Something that tells you later where this token is used.
        </span>
      </p>
      <fieldset aria-describedby={`${ids.scopes}-hint`}>
        <legend>Scopes</legend>
        <label className="check">
          <input type="checkbox" checked={read} onChange={(e) => setRead(e.target.checked)} /> read — list and
          view repos, runs, events and sandboxes
        </label>
        <label className="check">
          <input type="checkbox" checked={write} onChange={(e) => setWrite(e.target.checked)} /> write — start
          and cancel runs, stop sandboxes
        </label>
        <span className="hint" id={`${ids.scopes}-hint`}>
          {viewer
            ? "You are a viewer in this team: your tokens can only read, whatever their scopes."
            : "Give a token only what it needs."}
        </span>
      </fieldset>
      {!read && !write ? (
        <p className="field-error" role="alert">
          Choose at least one scope.
        </p>
      ) : null}
      <p>
        <label htmlFor={ids.exp}>Expires after</label>
        <select id={ids.exp} value={expiry} onChange={(e) => setExpiry(e.target.value)}>
          {EXPIRY_CHOICES.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </p>
      <ErrorNote error={error} title="Token not created" />
      <div className="actions">
        <button type="submit" disabled={busy || (!read && !write)}>
          {busy ? "Creating…" : "Create token"}
        </button>
      </div>
    </form>
  );
}

export function ApiKeysPage() {
  const keys = useAsync((signal) => get<{ keys: TokenSummary[] }>("/api/settings/api-keys", signal), []);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revoking, setRevoking] = useState<TokenSummary | null>(null);
  return (
    <>
      <PageTitle sub="Personal access tokens let scripts and the CLI use the Mogplex API as you.">
        API keys
      </PageTitle>
      {created ? (
        <NewToken created={created} onDone={() => setCreated(null)} />
      ) : (
        <CreateForm
          onCreated={(t) => {
            setCreated(t);
            keys.reload();
          }}
        />
      )}
      <h2>Your tokens</h2>
      <Loaded a={keys} what="your tokens">
        {({ keys: list }) =>
          list.length === 0 ? (
            <Empty>
              <p>You have no tokens yet. Create one above to use the API or the CLI.</p>
            </Empty>
          ) : (
            <TableWrap label="Your tokens">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Prefix</th>
                    <th scope="col">Scopes</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Expires</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((k) => (
                    <tr key={k.id}>
                      <td>{k.name}</td>
                      <td>
                        <code>{k.prefix}…</code>
                      </td>
                      <td>{k.scopes.join(", ")}</td>
                      <td>
                        <Time iso={k.createdAt} />
                      </td>
                      <td>
                        <Time iso={k.lastUsedAt} empty="Never" />
                      </td>
                      <td>
                        <Time iso={k.expiresAt} empty="Never" />
                      </td>
                      <td>
                        <button type="button" className="danger small" onClick={() => setRevoking(k)}>
                          Revoke<span className="visually-hidden"> {k.name}</span>
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </Loaded>
      {revoking ? (
        <Confirm
          title={`Revoke “${revoking.name}”?`}
          confirmLabel="Revoke token"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await del(`/api/settings/api-keys/${encodeURIComponent(revoking.id)}`);
            keys.reload();
          }}
        >
          <p>
            Anything using the token <code>{revoking.prefix}…</code> stops working immediately. This cannot be
            undone.
          </p>
        </Confirm>
      ) : null}
    </>
  );
}
