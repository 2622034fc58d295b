// Labelled form fields (text, multi-line, select) and the field choices several forms share.
import { type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes, useId } from "react";

/** A label, the control it names (tied by a generated id) and an optional hint, on a line of their own. */
function Field({
  label,
  hint,
  className,
  control,
}: {
  label: ReactNode;
  hint?: ReactNode;
  className?: string;
  control: (id: string, describedBy: string | undefined) => ReactNode;
}) {
  const id = useId();
  return (
    <p className={className}>
      <label htmlFor={id}>{label}</label>
      {control(id, hint ? `${id}-hint` : undefined)}
      {hint ? (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
    </p>
  );
}

interface FieldProps {
  label: string;
  hint?: ReactNode;
  onChange: (value: string) => void;
  /** Class of the line (e.g. "grow" inside a .row). */
  lineClass?: string;
}

/** A labelled text input on its own line; the label is tied to the input by a generated id. */
export function TextField({
  label,
  hint,
  lineClass,
  onChange,
  ...input
}: FieldProps & Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "onChange">) {
  return (
    <Field
      label={label}
      hint={hint}
      className={lineClass}
      control={(id, described) => (
        <input id={id} aria-describedby={described} onChange={(e) => onChange(e.target.value)} {...input} />
      )}
    />
  );
}

/** A labelled multi-line input, e.g. one entry per line. */
export function TextAreaField({
  label,
  hint,
  lineClass,
  onChange,
  ...area
}: FieldProps & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "id" | "onChange">) {
  return (
    <Field
      label={label}
      hint={hint}
      className={lineClass}
      control={(id, described) => (
        <textarea id={id} aria-describedby={described} onChange={(e) => onChange(e.target.value)} {...area} />
      )}
    />
  );
}

/** A labelled <select>; `options` are [value, text] pairs. */
export function SelectField({
  label,
  hint,
  lineClass,
  value,
  options,
  onChange,
}: FieldProps & { value: string; options: ReadonlyArray<readonly [string, string]> }) {
  return (
    <Field
      label={label}
      hint={hint}
      className={lineClass}
      control={(id, described) => (
        <select id={id} aria-describedby={described} value={value} onChange={(e) => onChange(e.target.value)}>
          {options.map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
        </select>
      )}
    />
  );
}

/** How long a new token or key lives; "" is never. */
export const EXPIRY_CHOICES: ReadonlyArray<readonly [string, string]> = [
  ["30", "30 days"],
  ["90", "90 days"],
  ["365", "1 year"],
  ["", "Never"],
];

/** "a, b\n c" → ["a", "b", "c"]: entries separated by whitespace or commas, in order, repeats kept. */
export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** The request field for an allowlist typed one entry per line (or comma-separated); none when left empty. */
export function allowlistBody(text: string): { ipAllowlist?: string[] } {
  const entries = splitList(text);
  return entries.length > 0 ? { ipAllowlist: entries } : {};
}

/** The optional network allowlist of a token or key [one entry per line]. */
export function AllowlistField({
  value,
  onChange,
  what,
}: {
  value: string;
  onChange: (v: string) => void;
  what: string;
}) {
  return (
    <TextAreaField
      label="Allowed networks (optional)"
      value={value}
      onChange={onChange}
      rows={2}
      spellCheck={false}
      placeholder="e.g. 203.0.113.0/24"
      hint={`IP addresses or CIDR ranges, one per line. Empty: the ${what} works from any address.`}
    />
  );
}
