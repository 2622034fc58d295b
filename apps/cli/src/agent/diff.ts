// A unified diff (3 lines of context) between two texts, for the agent's write_file / edit_file events.
// Line-based LCS; files too large for it are shown as a whole replacement.

const CONTEXT = 3;
const MAX_CELLS = 4_000_000;

type Op = { t: " " | "-" | "+"; line: string };

function splitLines(s: string): string[] {
  if (s === "") return [];
  const lines = s.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function ops(a: string[], b: string[]): Op[] {
  // Common prefix and suffix first: most edits are small.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const head: Op[] = a.slice(0, start).map((line) => ({ t: " ", line }));
  const tail: Op[] = a.slice(endA).map((line) => ({ t: " ", line }));
  let mid: Op[];
  if (midA.length * midB.length > MAX_CELLS) {
    mid = [
      ...midA.map((line) => ({ t: "-" as const, line })),
      ...midB.map((line) => ({ t: "+" as const, line })),
    ];
  } else {
    const n = midA.length;
    const m = midB.length;
    const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        const row = lcs[i] as Uint32Array;
        const below = lcs[i + 1] as Uint32Array;
        row[j] =
          midA[i] === midB[j]
            ? (below[j + 1] as number) + 1
            : Math.max(below[j] as number, row[j + 1] as number);
      }
    }
    mid = [];
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) {
        mid.push({ t: " ", line: midA[i++] as string });
        j++;
      } else if (i < n && (j >= m || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
        mid.push({ t: "-", line: midA[i++] as string });
      } else {
        mid.push({ t: "+", line: midB[j++] as string });
      }
    }
  }
  return [...head, ...mid, ...tail];
}

/** `--- a/path` / `+++ b/path` and its hunks; "" when nothing changed. */
export function unifiedDiff(path: string, before: string | null, after: string): string {
  const list = ops(splitLines(before ?? ""), splitLines(after));
  const changed = list.map((o, i) => (o.t === " " ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return "";
  const out = [`--- ${before === null ? "/dev/null" : `a/${path}`}`, `+++ b/${path}`];
  let k = 0;
  while (k < changed.length) {
    const first = changed[k] as number;
    let last = first;
    while (k + 1 < changed.length && (changed[k + 1] as number) - last <= 2 * CONTEXT)
      last = changed[++k] as number;
    k++;
    const from = Math.max(0, first - CONTEXT);
    const to = Math.min(list.length, last + CONTEXT + 1);
    let oldStart = 1;
    let newStart = 1;
    for (let i = 0; i < from; i++) {
      if (list[i]?.t !== "+") oldStart++;
      if (list[i]?.t !== "-") newStart++;
    }
    const hunk = list.slice(from, to);
    const oldLen = hunk.filter((o) => o.t !== "+").length;
    const newLen = hunk.filter((o) => o.t !== "-").length;
    out.push(
      `@@ -${oldLen ? oldStart : oldStart - 1},${oldLen} +${newLen ? newStart : newStart - 1},${newLen} @@`,
    );
    for (const o of hunk) out.push(`${o.t}${o.line}`);
  }
  return `${out.join("\n")}\n`;
}
