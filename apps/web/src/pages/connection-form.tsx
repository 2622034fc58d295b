// The form that adds or changes a connection: an MCP server (a command, or a URL) or a REST API. Header and
// env values are write-only: an edit shows their names only, and replaces the values only when asked to.
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { api } from "../api.js";
import { SelectField, TextAreaField, TextField } from "../fields.js";
import type { ConnectionSummary, Repo } from "../types.js";
import { CodeList, ErrorNote, useAction } from "../ui.js";
import { type Pair, pair, SecretPairs } from "./secret-pairs.js";

/** What a rest connection may allow runs (the contract's REST_CONNECTION_METHODS). */
const REST_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

export type Shape = "stdio" | "http" | "rest";

const SHAPES: ReadonlyArray<readonly [Shape, string]> = [
  ["stdio", "MCP server started as a command (stdio)"],
  ["http", "MCP server at a URL (HTTP)"],
  ["rest", "REST API"],
];
const TRANSPORTS = [
  ["http", "Streamable HTTP"],
  ["sse", "Server-sent events (older servers)"],
] as const;

export const shapeOf = (c: ConnectionSummary): Shape =>
  c.kind === "rest" ? "rest" : c.transport === "stdio" ? "stdio" : "http";
export const shapeLabel = (c: ConnectionSummary): string =>
  c.kind === "rest" ? "REST API" : `MCP server (${c.transport ?? "http"})`;

const lines = (text: string) => text.split(/\r?\n/).filter((l) => l.trim() !== "");

interface Props {
  teamId: string;
  repos: Repo[];
  /** The connection to change; without it the form adds one. */
  existing?: ConnectionSummary;
  onSaved: (c: ConnectionSummary) => void;
  onCancel?: () => void;
}

export function ConnectionForm({ teamId, repos, existing, onSaved, onCancel }: Props) {
  const [shape, setShape] = useState<Shape>(existing ? shapeOf(existing) : "stdio");
  const [name, setName] = useState(existing?.name ?? "");
  const [repoId, setRepoId] = useState("");
  const [url, setUrl] = useState(existing?.url ?? "");
  const [transport, setTransport] = useState<string>(existing?.transport === "sse" ? "sse" : "http");
  const [command, setCommand] = useState(existing?.command ?? "");
  const [args, setArgs] = useState(existing?.args.join("\n") ?? "");
  const [egress, setEgress] = useState(existing?.egressHosts.join("\n") ?? "");
  const [mounts, setMounts] = useState(existing?.mounts.join("\n") ?? "");
  const [timeout, setTimeoutMs] = useState(existing?.timeoutMs?.toString() ?? "");
  const [enabled, setEnabled] = useState(existing?.enabled ?? true);
  const [methods, setMethods] = useState<string[]>(existing?.methods ?? ["GET", "HEAD"]);
  const [replace, setReplace] = useState(!existing);
  const [pairs, setPairs] = useState<Pair[]>([]);
  const { busy, error, run } = useAction();
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const editId = existing?.id;
  useEffect(() => {
    if (editId) heading.current?.focus();
  }, [editId]);

  const stdio = shape === "stdio";
  const what = stdio ? "Variable" : "Header";
  const stored = existing ? (stdio ? existing.envNames : existing.headerNames) : [];
  const repoName = (id: string | null) => repos.find((r) => r.id === id)?.fullName ?? id;

  const body = () => {
    const secrets = replace ? Object.fromEntries(pairs.map((p) => [p.name.trim(), p.value])) : undefined;
    const fields = {
      name: name.trim(),
      enabled,
      timeoutMs: timeout.trim() ? Number(timeout) : existing ? null : undefined,
      ...(stdio
        ? {
            command: command.trim(),
            args: lines(args),
            env: secrets,
            egressHosts: lines(egress).map((l) => l.trim()),
            mounts: lines(mounts).map((l) => l.trim()),
          }
        : { url: url.trim(), transport: shape === "http" ? transport : undefined, headers: secrets }),
      ...(shape === "rest" ? { methods: REST_METHODS.filter((m) => methods.includes(m)) } : {}),
    };
    if (existing) return fields;
    return { ...fields, kind: shape === "rest" ? "rest" : "mcp_server", repoId: repoId || undefined };
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const base = `/api/teams/${encodeURIComponent(teamId)}/connections`;
      const { connection } = existing
        ? await api<{ connection: ConnectionSummary }>(
            "PATCH",
            `${base}/${encodeURIComponent(existing.id)}`,
            {
              body: body(),
            },
          )
        : await api<{ connection: ConnectionSummary }>("POST", base, { body: body() });
      // The values are on the server now; the page lets go of them.
      setPairs([]);
      onSaved(connection);
    });
  };

  const replaceSecrets = (on: boolean) => {
    setReplace(on);
    setPairs(on ? stored.map((n) => pair(n)) : []);
  };

  return (
    <form onSubmit={submit} className="card stack" aria-labelledby={headingId}>
      <h2 id={headingId} ref={heading} tabIndex={-1}>
        {existing ? `Change ${existing.name}` : "Add a connection"}
      </h2>
      {existing ? (
        <p>
          {shapeLabel(existing)}, used by{" "}
          {existing.repoId ? `${repoName(existing.repoId)} only` : "every repo of the team"}.
        </p>
      ) : (
        <div className="row">
          <SelectField
            label="Type"
            value={shape}
            options={SHAPES}
            onChange={(v) => {
              if ((v === "stdio") !== stdio) setPairs([]);
              setShape(v as Shape);
            }}
          />
          <SelectField
            label="Used by"
            value={repoId}
            options={[
              ["", "Every repo of the team"] as const,
              ...repos.map((r) => [r.id, `Only ${r.fullName}`] as const),
            ]}
            onChange={setRepoId}
          />
        </div>
      )}
      <TextField
        label="Name"
        value={name}
        onChange={setName}
        required
        maxLength={32}
        spellCheck={false}
        autoComplete="off"
        hint={
          <>
            Letters, digits, <code>-</code> or <code>_</code>; the gateway names its tools{" "}
            <code>{name || "name"}__tool</code>.
          </>
        }
      />
      {stdio ? (
        <>
          <TextField
            label="Command"
            value={command}
            onChange={setCommand}
            required
            spellCheck={false}
            placeholder="e.g. /usr/bin/node"
            hint="Runs in its own sandbox: it sees the system directories, the paths your operator mounted and the read-only paths below."
          />
          <TextAreaField
            label="Arguments"
            value={args}
            onChange={setArgs}
            rows={3}
            spellCheck={false}
            hint="One per line, passed as they are (no shell)."
          />
          <TextAreaField
            label="Read-only paths it may see (optional)"
            value={mounts}
            onChange={setMounts}
            rows={2}
            spellCheck={false}
            placeholder="/opt/mcp/my-server"
            hint={
              <>
                One absolute host path per line, visible read-only at the same path inside its sandbox: where
                the server is installed, for example. Never the server's data directory, and not{" "}
                <code>/</code>, <code>/etc</code> or <code>/home</code> as a whole.
              </>
            }
          />
          <TextAreaField
            label="Hosts it may reach (optional)"
            value={egress}
            onChange={setEgress}
            rows={2}
            spellCheck={false}
            hint={
              <>
                One host name or <code>*.example.com</code> per line, reached through the sandbox's HTTPS
                proxy. Empty: no network at all.
              </>
            }
          />
        </>
      ) : (
        <div className="row">
          <TextField
            label="URL"
            lineClass="grow"
            type="url"
            value={url}
            onChange={setUrl}
            required
            spellCheck={false}
            placeholder="https://mcp.example.com/mcp"
            hint="Without user:password@; put credentials in headers, which are stored encrypted."
          />
          {shape === "http" ? (
            <SelectField label="Transport" value={transport} options={TRANSPORTS} onChange={setTransport} />
          ) : null}
        </div>
      )}
      {shape === "rest" ? (
        <fieldset>
          <legend>Methods runs may use</legend>
          <p>
            A run that names <code>rest:{name || "name"}</code> in its tools gets an <code>http_request</code>{" "}
            tool for this URL with these methods; the headers are added on the server.
          </p>
          <div className="row">
            {REST_METHODS.map((m) => (
              <label key={m} className="check">
                <input
                  type="checkbox"
                  checked={methods.includes(m)}
                  onChange={(e) =>
                    setMethods(e.target.checked ? [...methods, m] : methods.filter((x) => x !== m))
                  }
                />{" "}
                {m}
              </label>
            ))}
          </div>
        </fieldset>
      ) : null}
      {existing ? (
        <fieldset>
          <legend>{stdio ? "Environment variables" : "Headers"}</legend>
          <p>
            Stored now: <CodeList items={stored} empty="none" />. Values are never shown.
          </p>
          <label className="check">
            <input type="checkbox" checked={replace} onChange={(e) => replaceSecrets(e.target.checked)} />{" "}
            Replace them all (the current values are dropped)
          </label>
        </fieldset>
      ) : null}
      {replace ? <SecretPairs what={what} pairs={pairs} onChange={setPairs} /> : null}
      <TextField
        label="Timeout in milliseconds (optional)"
        type="number"
        min={100}
        max={600_000}
        value={timeout}
        onChange={setTimeoutMs}
      />
      <label className="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
      </label>
      <ErrorNote error={error} title={existing ? "Not saved" : "Connection not added"} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : existing ? "Save changes" : "Add connection"}
        </button>
        {onCancel ? (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
