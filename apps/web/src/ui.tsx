// Shared pieces: page titles that take focus, loading/empty/error states, copy buttons, confirm dialogs.
import {
  type DependencyList,
  Fragment,
  type ReactNode,
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
} from "react";
import { errorText } from "./api.js";

let firstPage = true;

/**
 * The page's h1. After an in-app navigation it takes focus, so screen readers announce the new page and Tab
 * continues from it; on a fresh load focus stays at the top, where the skip link is.
 */
export function PageTitle({ children, sub }: { children: ReactNode; sub?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (firstPage) {
      firstPage = false;
      return;
    }
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <header className="page-title">
      <h1 ref={ref} tabIndex={-1}>
        {children}
      </h1>
      {sub ? <p className="lead">{sub}</p> : null}
    </header>
  );
}

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p className="state" role="status">
      {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state empty">{children}</div>;
}

/** An error as the server put it, with the request id support can find in the logs. */
export function ErrorNote({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const { message, requestId } = errorText(error);
  return (
    <div className="error" role="alert">
      {title ? <strong>{title}: </strong> : null}
      <span>{message}</span>
      {requestId ? (
        <span className="request-id">
          Request id: <code>{requestId}</code>
        </span>
      ) : null}
    </div>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <div className="notice" role="status">
      {children}
    </div>
  );
}

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads data for a page; `reload()` fetches again. A stale answer never overwrites a newer one. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): Async<T> {
  const [state, setState] = useState<{ data?: T; error: unknown; loading: boolean }>({
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to load again
  useEffect(() => {
    const ac = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(ac.signal).then(
      (data) => {
        if (!ac.signal.aborted) setState({ data, error: null, loading: false });
      },
      (error: unknown) => {
        if (!ac.signal.aborted) setState((s) => ({ ...s, error, loading: false }));
      },
    );
    return () => ac.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Shows loading, then the error or the content, for data from useAsync. */
export function Loaded<T>({
  a,
  what,
  children,
}: {
  a: Async<T>;
  what?: string;
  children: (d: T) => ReactNode;
}) {
  if (a.data === undefined) {
    if (a.error) return <ErrorNote error={a.error} title={`Could not load ${what ?? "this page"}`} />;
    return <Loading what={`Loading ${what ?? ""}`.trim()} />;
  }
  return (
    <>
      {a.error ? <ErrorNote error={a.error} title="Could not refresh" /> : null}
      {children(a.data)}
    </>
  );
}

/** `name` is the accessible name when the visible label repeats in a list (it should contain the label). */
export function CopyButton({ text, label = "Copy", name }: { text: string; label?: string; name?: string }) {
  const [done, setDone] = useState<"" | "ok" | "fail">("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone("ok");
    } catch {
      setDone("fail");
    }
  };
  return (
    <>
      <button type="button" className="secondary small" aria-label={name} onClick={() => void copy()}>
        {label}
      </button>
      <span className="copy-status" aria-live="polite">
        {done === "ok" ? "Copied" : done === "fail" ? "Copy failed: select the text and copy it" : ""}
      </span>
    </>
  );
}

export interface ConfirmProps {
  title: string;
  confirmLabel: string;
  /** The button that closes without acting; "Cancel" unless that would read like the action. */
  dismissLabel?: string;
  onConfirm: () => Promise<void> | void;
  onClose: () => void;
  danger?: boolean;
  /** When set, the confirm button stays disabled until this exact text is typed. */
  typed?: { label: string; expected: string };
  children?: ReactNode;
}

/** A modal <dialog>: focus moves into it, Escape and Cancel close it, the action's error shows inside. */
export function Confirm(props: ConfirmProps) {
  const { title, confirmLabel, dismissLabel = "Cancel", onConfirm, onClose, danger, typed, children } = props;
  const ref = useRef<HTMLDialogElement>(null);
  const dismiss = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const inputId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [value, setValue] = useState("");
  const hasTyped = typed !== undefined;
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    // Start on the harmless choice (or the confirmation field); Enter must never delete by accident.
    if (!hasTyped) dismiss.current?.focus();
    return () => d?.close();
  }, [hasTyped]);
  const ready = !typed || value.trim().toLowerCase() === typed.expected.toLowerCase();
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} aria-labelledby={titleId} onCancel={onClose} className="dialog">
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (ready && !busy) void go();
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {children}
        {typed ? (
          <p>
            <label htmlFor={inputId}>{typed.label}</label>
            <input
              id={inputId}
              value={value}
              onChange={(e) => setValue(e.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
          </p>
        ) : null}
        <ErrorNote error={error} />
        <div className="actions">
          <button type="submit" className={danger ? "danger" : undefined} disabled={!ready || busy}>
            {busy ? "Working…" : confirmLabel}
          </button>
          <button type="button" className="secondary" onClick={onClose} ref={dismiss}>
            {dismissLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** Confirms revoking a credential (a token, a key) known to the person by its name and prefix. */
export function RevokeDialog({
  what,
  item,
  onRevoke,
  onClose,
}: {
  what: "token" | "key";
  item: { name: string; prefix: string };
  onRevoke: () => Promise<void>;
  onClose: () => void;
}) {
  return (
    <Confirm
      title={`Revoke “${item.name}”?`}
      confirmLabel={`Revoke ${what}`}
      danger
      onClose={onClose}
      onConfirm={onRevoke}
    >
      <p>
        Anything using the {what} <code>{item.prefix}…</code> stops working immediately. This cannot be
        undone.
      </p>
    </Confirm>
  );
}

/** For pages about a team, when the person belongs to none. */
export function NoTeam() {
  return <Empty>You are not a member of any team. Ask an owner for an invitation.</Empty>;
}

export function when(iso: string | null | undefined, empty = "—"): string {
  if (!iso) return empty;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return empty;
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function Time({ iso, empty }: { iso: string | null | undefined; empty?: string }) {
  if (!iso) return <span className="muted">{empty ?? "—"}</span>;
  return <time dateTime={iso}>{when(iso)}</time>;
}

/** Names (of headers, servers, tools) as code, comma-separated; `empty` when there are none. */
export function CodeList({ items, empty }: { items: readonly string[]; empty: string }) {
  if (items.length === 0) return <span className="muted">{empty}</span>;
  return (
    <>
      {items.map((n, i) => (
        <Fragment key={n}>
          {i > 0 ? ", " : null}
          <code>{n}</code>
        </Fragment>
      ))}
    </>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

/**
 * A data table. On a phone each row becomes a small card: cells are labelled with their column heading
 * (copied into data-label after every render), so nothing hides off to the right. Wider tables than the
 * screen scroll inside the region, which is focusable so the keyboard can scroll it too.
 */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    const table = ref.current?.querySelector("table");
    if (!table) return;
    // A heading only screen readers see (e.g. "Actions" over buttons) labels nothing on screen either.
    const heads = [...table.querySelectorAll("thead th")].map((th) =>
      th.querySelector(".visually-hidden")?.textContent === th.textContent
        ? ""
        : (th.textContent?.trim() ?? ""),
    );
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.children].forEach((cell, i) => {
        cell.setAttribute("data-label", heads[i] ?? "");
      });
    }
  });
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section className="table-wrap" aria-label={label} tabIndex={0} ref={ref}>
      {children}
    </section>
  );
}

/** One form submission at a time: `busy` while it runs, its error kept for <ErrorNote>. */
export function useAction(): {
  busy: boolean;
  error: unknown;
  run: (act: () => Promise<void>) => Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (act: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await act();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}

/**
 * A secret the server shows exactly once (a token, a key): its heading takes focus, so the person hears
 * it appear; a copy button; and a button to put it away for good.
 */
export function SecretReveal({
  title,
  label,
  secret,
  copyLabel,
  onDone,
  children,
}: {
  title: string;
  label: string;
  secret: string;
  copyLabel: string;
  onDone: () => void;
  /** Said after the secret: how to use it. */
  children?: ReactNode;
}) {
  const id = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus({ preventScroll: false }), []);
  return (
    <section className="card reveal" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`} ref={heading} tabIndex={-1}>
        {title}
      </h2>
      <p>
        This is the only time Mogplex shows it: you won't see it again. Store it somewhere safe, such as a
        password manager; if you lose it, revoke it and create another.
      </p>
      <p>
        <label htmlFor={id}>{label}</label>
        <span className="copy-row">
          <input id={id} className="mono" readOnly value={secret} onFocus={(e) => e.target.select()} />
          <CopyButton text={secret} label={copyLabel} />
        </span>
      </p>
      {children}
      <button type="button" onClick={onDone}>
        I have copied it
      </button>
    </section>
  );
}
