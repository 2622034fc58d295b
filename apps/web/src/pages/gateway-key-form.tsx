// The form that creates a gateway key: which MCP servers (and, optionally, which of their tools) it may use,
// how long it lives and how fast it may call.
import { type FormEvent, useId, useState } from "react";
import { post } from "../api.js";
import {
  AllowlistField,
  allowlistBody,
  EXPIRY_CHOICES,
  SelectField,
  splitList,
  TextAreaField,
  TextField,
} from "../fields.js";
import { Link } from "../router.js";
import type { ConnectionSummary, CreatedGatewayKey } from "../types.js";
import { ErrorNote, useAction } from "../ui.js";

function ServerChoice({
  servers,
  all,
  chosen,
  onAll,
  onChosen,
}: {
  servers: ConnectionSummary[];
  all: boolean;
  chosen: string[];
  onAll: (all: boolean) => void;
  onChosen: (names: string[]) => void;
}) {
  const group = useId();
  return (
    <fieldset className="stack">
      <legend>MCP servers this key may use</legend>
      <label className="check">
        <input type="radio" name={group} checked={!all} onChange={() => onAll(false)} /> Only the servers
        ticked below
      </label>
      {!all ? (
        <div className="inset">
          {servers.length === 0 ? (
            <p className="hint">
              This team has no MCP servers yet; an owner or admin adds them under{" "}
              <Link to="/settings/connections">Connections</Link>.
            </p>
          ) : (
            servers.map((s) => (
              <label className="check" key={s.id}>
                <input
                  type="checkbox"
                  checked={chosen.includes(s.name)}
                  onChange={(e) =>
                    onChosen(e.target.checked ? [...chosen, s.name] : chosen.filter((n) => n !== s.name))
                  }
                />{" "}
                {s.name}
                {s.enabled ? null : <span className="muted"> (disabled)</span>}
              </label>
            ))
          )}
        </div>
      ) : null}
      <label className="check">
        <input type="radio" name={group} checked={all} onChange={() => onAll(true)} /> Every MCP server of the
        team, including ones added later
      </label>
    </fieldset>
  );
}

export function CreateKeyForm({
  servers,
  onCreated,
}: {
  servers: ConnectionSummary[];
  onCreated: (k: CreatedGatewayKey) => void;
}) {
  const headingId = useId();
  const [name, setName] = useState("");
  const [all, setAll] = useState(false);
  const [chosen, setChosen] = useState<string[]>([]);
  const [tools, setTools] = useState("");
  const [expiry, setExpiry] = useState("90");
  const [rps, setRps] = useState("");
  const [nets, setNets] = useState("");
  const { busy, error, run } = useAction();
  const noServer = !all && chosen.length === 0;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const toolList = splitList(tools);
      const created = await post<CreatedGatewayKey>("/api/settings/gateway-keys", {
        name: name.trim(),
        servers: all ? "all" : chosen,
        ...(toolList.length > 0 ? { tools: toolList } : {}),
        ...(expiry ? { expiresInDays: Number(expiry) } : {}),
        ...(rps.trim() ? { rateLimitRps: Number(rps) } : {}),
        ...allowlistBody(nets),
      });
      onCreated(created);
    });
  };

  return (
    <form onSubmit={submit} className="card stack" aria-labelledby={headingId}>
      <h2 id={headingId}>Create a gateway key</h2>
      <TextField
        label="Name"
        value={name}
        onChange={setName}
        required
        maxLength={100}
        placeholder="e.g. editor on my laptop"
        hint="Something that tells you later where this key is used."
      />
      <ServerChoice servers={servers} all={all} chosen={chosen} onAll={setAll} onChosen={setChosen} />
      {noServer ? <p className="hint">Tick at least one server, or choose every server.</p> : null}
      <TextAreaField
        label="Tools (optional)"
        value={tools}
        onChange={setTools}
        rows={3}
        spellCheck={false}
        hint={
          <>
            One per line, as <code>server__tool</code>. Empty: every tool of the servers above.
          </>
        }
      />
      <AllowlistField value={nets} onChange={setNets} what="key" />
      <div className="row">
        <SelectField label="Expires after" value={expiry} options={EXPIRY_CHOICES} onChange={setExpiry} />
        <TextField
          label="Rate limit (requests per second)"
          type="number"
          min={1}
          max={100_000}
          value={rps}
          onChange={setRps}
          hint="Empty: the server's default."
        />
      </div>
      <ErrorNote error={error} title="Key not created" />
      <div className="actions">
        <button type="submit" disabled={busy || noServer}>
          {busy ? "Creating…" : "Create key"}
        </button>
      </div>
    </form>
  );
}
