// Settings → Models: what a run without a model uses, the catalogue (credentials, allowed), and for owners and
// admins the team's default model, its allowlist and its provider keys (write-only: a key is never shown again).
import type { CatalogueModel, ModelCatalogue, TeamModelSettings } from "@mogplex/contract";
import { type FormEvent, useId, useState } from "react";
import { api, del, get, post } from "../../api.js";
import { SelectField } from "../../fields.js";
import { useSession } from "../../session.js";
import { atLeast } from "../../types.js";
import { ErrorNote, Loaded, Notice, PageTitle, TableWrap, useAction, useAsync, when } from "../../ui.js";

const ORIGIN_TEXT: Record<CatalogueModel["origins"][number], string> = {
  builtin: "built in",
  "server-default": "server default",
  "team-default": "team default",
  allowlist: "allowlist",
  endpoint: "your endpoint",
};

function DefaultModelForm({
  cat,
  teamId,
  onSaved,
}: {
  cat: ModelCatalogue;
  teamId: string;
  onSaved: () => void;
}) {
  const [value, setValue] = useState(cat.teamDefault ?? "");
  const { busy, error, run } = useAction();
  const serverText = cat.serverDefault
    ? `Server default (${cat.serverDefault})`
    : "Server default (none set)";
  const options: Array<readonly [string, string]> = [
    ["", serverText],
    ...cat.models
      .filter((m) => m.allowed)
      .map((m) => [m.id, m.hasCredentials ? m.id : `${m.id} (no credentials)`] as const),
  ];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api("PATCH", `/api/teams/${encodeURIComponent(teamId)}/model-settings`, {
        body: { defaultModel: value || null },
      });
      onSaved();
    });
  };
  return (
    <form onSubmit={submit} className="card stack" aria-labelledby="default-h">
      <h2 id="default-h">Team default model</h2>
      <SelectField
        label="Default model"
        value={value}
        options={options}
        onChange={setValue}
        hint="Runs that name no model use this; without one, the server's MOGPLEX_DEFAULT_MODEL."
      />
      <ErrorNote error={error} title="Default model not saved" />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save default model"}
        </button>
      </div>
    </form>
  );
}

function AllowlistForm({
  cat,
  teamId,
  onSaved,
}: {
  cat: ModelCatalogue;
  teamId: string;
  onSaved: () => void;
}) {
  const [restricted, setRestricted] = useState(cat.allowedModels !== null);
  const [chosen, setChosen] = useState<Set<string>>(new Set(cat.allowedModels ?? []));
  const { busy, error, run } = useAction();
  const name = useId();
  const toggle = (id: string) =>
    setChosen((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api("PATCH", `/api/teams/${encodeURIComponent(teamId)}/model-settings`, {
        body: { allowedModels: restricted ? [...chosen].sort() : null },
      });
      onSaved();
    });
  };
  return (
    <form onSubmit={submit} className="card stack" aria-labelledby="allow-h">
      <h2 id="allow-h">Model allowlist</h2>
      <fieldset>
        <legend>Which models may runs use?</legend>
        <label>
          <input type="radio" name={name} checked={!restricted} onChange={() => setRestricted(false)} /> Every
          model
        </label>
        <label>
          <input type="radio" name={name} checked={restricted} onChange={() => setRestricted(true)} /> Only
          the models checked below
        </label>
      </fieldset>
      {restricted ? (
        <fieldset>
          <legend>Allowed models</legend>
          {cat.models.map((m) => (
            <label key={m.id} className="check">
              <input type="checkbox" checked={chosen.has(m.id)} onChange={() => toggle(m.id)} /> {m.id}
            </label>
          ))}
        </fieldset>
      ) : null}
      <ErrorNote error={error} title="Allowlist not saved" />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save allowlist"}
        </button>
      </div>
    </form>
  );
}

function ProviderKeys({ teamId, onChanged }: { teamId: string; onChanged: () => void }) {
  const settings = useAsync(
    (signal) => get<TeamModelSettings>(`/api/teams/${encodeURIComponent(teamId)}/model-settings`, signal),
    [teamId],
  );
  const [provider, setProvider] = useState("anthropic");
  const [key, setKey] = useState("");
  const keyId = useId();
  const { busy, error, run } = useAction();
  const base = `/api/teams/${encodeURIComponent(teamId)}/provider-keys`;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await post(`${base}/${encodeURIComponent(provider)}`, { key });
      setKey("");
      settings.reload();
      onChanged();
    });
  };
  const remove = (p: string) =>
    void run(async () => {
      await del(`${base}/${encodeURIComponent(p)}`);
      settings.reload();
      onChanged();
    });
  return (
    <section className="card stack" aria-labelledby="keys-h">
      <h2 id="keys-h">Provider keys</h2>
      <p className="hint">
        A team key is used for this team's runs instead of the server's. Keys are encrypted at rest and never
        shown again.
      </p>
      <Loaded a={settings} what="provider keys">
        {(s) => (
          <>
            <TableWrap label="Provider keys">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Provider</th>
                    <th scope="col">Team key</th>
                    <th scope="col">Server key</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {s.providerKeys.map((k) => (
                    <tr key={k.provider}>
                      <td>{k.provider}</td>
                      <td>{k.teamKey ? `Set ${when(k.updatedAt)}` : "—"}</td>
                      <td>{k.serverKey ? "Set" : "—"}</td>
                      <td>
                        {k.teamKey ? (
                          <button
                            type="button"
                            className="secondary"
                            disabled={busy}
                            onClick={() => remove(k.provider)}
                            aria-label={`Remove the ${k.provider} key`}
                          >
                            Remove
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
            <form onSubmit={submit} className="stack" aria-label="Store a provider key">
              <div className="row">
                <SelectField
                  label="Provider"
                  value={provider}
                  options={s.providerKeys.map((k) => [k.provider, k.provider] as const)}
                  onChange={setProvider}
                />
                <p className="grow">
                  <label htmlFor={keyId}>API key</label>
                  <input
                    id={keyId}
                    type="password"
                    value={key}
                    onChange={(e) => setKey(e.target.value)}
                    required
                    maxLength={4096}
                    autoComplete="off"
                    spellCheck={false}
                  />
                </p>
              </div>
              <ErrorNote error={error} title="Key not changed" />
              <div className="actions">
                <button type="submit" disabled={busy || key.trim() === ""}>
                  {busy ? "Saving…" : "Store key"}
                </button>
              </div>
            </form>
          </>
        )}
      </Loaded>
    </section>
  );
}

export function ModelsPage() {
  const { team, role } = useSession();
  const teamId = team?.teamId ?? "";
  const cat = useAsync((signal) => get<ModelCatalogue>("/api/web/models", signal), [teamId]);
  const admin = atLeast(role, "admin");
  return (
    <>
      <PageTitle sub="The models your team's runs can use and where their credentials come from.">
        Models
      </PageTitle>
      <Loaded a={cat} what="models">
        {(c) => (
          <>
            <section className="card" aria-labelledby="uses-h">
              <h2 id="uses-h">What a run uses</h2>
              <dl className="facts">
                <dt>Without a model</dt>
                <dd>
                  {c.effectiveDefault ? (
                    <code>{c.effectiveDefault}</code>
                  ) : (
                    <span>
                      Nothing yet: set a team default below, or MOGPLEX_DEFAULT_MODEL on the server (for
                      example <code>anthropic/claude-sonnet-4-5</code> with ANTHROPIC_API_KEY).
                    </span>
                  )}
                </dd>
                <dt>Team default</dt>
                <dd>{c.teamDefault ? <code>{c.teamDefault}</code> : "None"}</dd>
                <dt>Server default</dt>
                <dd>{c.serverDefault ? <code>{c.serverDefault}</code> : "None"}</dd>
              </dl>
              {c.endpoint.configured && !c.endpoint.ok ? (
                <Notice>
                  Your OpenAI-compatible endpoint's models could not be listed: {c.endpoint.error}
                </Notice>
              ) : null}
            </section>
            <TableWrap label="Model catalogue">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Model</th>
                    <th scope="col">From</th>
                    <th scope="col">Credentials</th>
                    <th scope="col">Allowed</th>
                  </tr>
                </thead>
                <tbody>
                  {c.models.map((m) => (
                    <tr key={m.id}>
                      <td>
                        <code>{m.id}</code>
                      </td>
                      <td>{m.origins.map((o) => ORIGIN_TEXT[o]).join(", ")}</td>
                      <td>{m.hasCredentials ? "Yes" : "No"}</td>
                      <td>{m.allowed ? "Yes" : "No"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
            {admin ? (
              <>
                <DefaultModelForm key={`d-${c.teamDefault}`} cat={c} teamId={teamId} onSaved={cat.reload} />
                <AllowlistForm
                  key={`a-${JSON.stringify(c.allowedModels)}`}
                  cat={c}
                  teamId={teamId}
                  onSaved={cat.reload}
                />
                <ProviderKeys teamId={teamId} onChanged={cat.reload} />
              </>
            ) : (
              <p className="hint">
                Owners and admins of the team change the default model, allowlist and keys.
              </p>
            )}
          </>
        )}
      </Loaded>
    </>
  );
}
