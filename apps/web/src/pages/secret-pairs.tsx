// Name/value rows for a connection's headers or env. Values are password fields the page never fills in: the
// server keeps them encrypted and never sends them back.
import { useEffect, useRef } from "react";
import { TextField } from "../fields.js";

export interface Pair {
  key: number;
  name: string;
  value: string;
}
let pairKeys = 0;
export const pair = (name = ""): Pair => ({ key: pairKeys++, name, value: "" });

/** `what` names each row ("Header 1 name"); adding a row focuses it, removing one leaves focus on "Add". */
export function SecretPairs({
  what,
  pairs,
  onChange,
}: {
  what: "Header" | "Variable";
  pairs: Pair[];
  onChange: (p: Pair[]) => void;
}) {
  const box = useRef<HTMLFieldSetElement>(null);
  const add = useRef<HTMLButtonElement>(null);
  const count = useRef(pairs.length);
  useEffect(() => {
    // A row just added takes focus at its name; after a removal, focus stays in the list at "Add".
    if (pairs.length > count.current) {
      box.current?.querySelector<HTMLInputElement>(`[data-row="${pairs.length - 1}"]`)?.focus();
    } else if (pairs.length < count.current) add.current?.focus();
    count.current = pairs.length;
  }, [pairs.length]);
  const set = (i: number, patch: Partial<Pair>) =>
    onChange(pairs.map((p, j) => (j === i ? { ...p, ...patch } : p)));
  const noun = what === "Header" ? "header" : "variable";
  return (
    <fieldset ref={box} className="stack">
      <legend>{what === "Header" ? "Headers" : "Environment variables"}</legend>
      <span className="hint">Values are stored encrypted and never shown again, not even to admins.</span>
      {pairs.map((p, i) => (
        <div className="row pair" key={p.key}>
          <TextField
            label={`${what} ${i + 1} name`}
            value={p.name}
            onChange={(name) => set(i, { name })}
            required
            autoComplete="off"
            spellCheck={false}
            data-row={i}
          />
          <TextField
            label={`${what} ${i + 1} value`}
            type="password"
            value={p.value}
            onChange={(value) => set(i, { value })}
            autoComplete="off"
          />
          <button
            type="button"
            className="secondary small"
            onClick={() => onChange(pairs.filter((_, j) => j !== i))}
          >
            Remove<span className="visually-hidden"> {`${noun} ${i + 1}`}</span>
          </button>
        </div>
      ))}
      <div>
        <button
          type="button"
          className="secondary small"
          ref={add}
          onClick={() => onChange([...pairs, pair()])}
        >
          Add a {noun}
        </button>
      </div>
    </fieldset>
  );
}
