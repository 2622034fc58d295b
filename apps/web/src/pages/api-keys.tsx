// Settings → API keys: create a personal access token (shown once), list them, revoke with confirmation.
import { type FormEvent, useId, useState } from "react";
import { del, get, post } from "../api.js";
import { AllowlistField, allowlistBody, EXPIRY_CHOICES, SelectField, TextField } from "../fields.js";
import { useSession } from "../session.js";
import type { CreatedToken, TokenSummary } from "../types.js";
import {
  Empty,
  ErrorNote,
  Loaded,
  PageTitle,
  RevokeDialog,
  SecretReveal,
  TableWrap,
  Time,
  useAction,
  useAsync,
} from "../ui.js";

/** Every scope a token can carry, in the order the API lists them. */
const SCOPE_CHOICES = [
  { scope: "read", what: "list and view repos, runs, events and sandboxes; search the package registry" },
  { scope: "write", what: "start and cancel runs, stop sandboxes" },
  { scope: "download", what: "download packages you are entitled to (mog install)" },
  { scope: "purchase", what: "acquire registry packages, paying from the team wallet for priced ones" },
  { scope: "sell", what: "create your team's vendor and publish packages (mog publish)" },
] as const;

function CreateForm({ onCreated }: { onCreated: (t: CreatedToken) => void }) {
  const { role } = useSession();
  const viewer = role === "viewer";
  const [name, setName] = useState("");
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set(viewer ? ["read"] : ["read", "write"]));
  const toggle = (scope: string, on: boolean) =>
    setChosen((prev) => {
      const next = new Set(prev);
      if (on) next.add(scope);
      else next.delete(scope);
      return next;
    });
  const [expiry, setExpiry] = useState("90");
  const [nets, setNets] = useState("");
  const { busy, error, run } = useAction();
  const ids = { form: useId(), scopes: useId() };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const scopes = SCOPE_CHOICES.map((c) => c.scope).filter((scope) => chosen.has(scope));
      const created = await post<CreatedToken>("/api/settings/api-keys", {
        name: name.trim(),
        scopes,
        ...(expiry ? { expiresInDays: Number(expiry) } : {}),
        ...allowlistBody(nets),
      });
      setName("");
      setNets("");
      onCreated(created);
    });
  };

  return (
    <form onSubmit={submit} className="card stack" aria-labelledby={`${ids.form}-h`}>
      <h2 id={`${ids.form}-h`}>Create a token</h2>
      <TextField
        label="Name"
        value={name}
        onChange={setName}
        required
        maxLength={100}
        placeholder="e.g. laptop CLI"
        hint="Something that tells you later where this token is used."
      />
      <fieldset aria-describedby={`${ids.scopes}-hint`}>
        <legend>Scopes</legend>
        {SCOPE_CHOICES.map((c) => (
          <label className="check" key={c.scope}>
            <input
              type="checkbox"
              checked={chosen.has(c.scope)}
              onChange={(e) => toggle(c.scope, e.target.checked)}
            />{" "}
            {c.scope} — {c.what}
          </label>
        ))}
        <span className="hint" id={`${ids.scopes}-hint`}>
          {viewer
            ? "You are a viewer in this team: your tokens can only read, whatever their scopes."
            : "Give a token only what it needs."}
        </span>
      </fieldset>
      {chosen.size === 0 ? (
        <p className="field-error" role="alert">
          Choose at least one scope.
        </p>
      ) : null}
      <SelectField label="Expires after" value={expiry} options={EXPIRY_CHOICES} onChange={setExpiry} />
      <AllowlistField value={nets} onChange={setNets} what="token" />
      <ErrorNote error={error} title="Token not created" />
      <div className="actions">
        <button type="submit" disabled={busy || chosen.size === 0}>
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
        <SecretReveal
          title="Copy your new token now"
          label="New token"
          secret={created.token}
          copyLabel="Copy token"
          onDone={() => setCreated(null)}
        >
          <p className="hint">
            Use it as <code>Authorization: Bearer {created.prefix}…</code>, or <code>MOGPLEX_API_KEY</code>{" "}
            for the CLI.
          </p>
        </SecretReveal>
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
                      <td>
                        {k.scopes.join(", ")}
                        {k.ipAllowlist ? (
                          <span className="hint"> · from {k.ipAllowlist.join(", ")}</span>
                        ) : null}
                      </td>
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
        <RevokeDialog
          what="token"
          item={revoking}
          onClose={() => setRevoking(null)}
          onRevoke={async () => {
            await del(`/api/settings/api-keys/${encodeURIComponent(revoking.id)}`);
            keys.reload();
          }}
        />
      ) : null}
    </>
  );
}
