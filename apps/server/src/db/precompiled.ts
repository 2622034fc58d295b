// Hot-path queries compiled once: the query builder's per-call cost exceeded the lookup itself.
import { type Compilable, CompiledQuery, type Kysely } from "kysely";

/**
 * Build the query with sentinel values where the arguments go; each call swaps the real arguments into
 * those parameter slots and runs the same SQL text (which the SQLite driver also keeps prepared).
 */
export function precompile<R, A extends readonly unknown[]>(
  query: Compilable<R>,
  sentinels: A,
): (db: Kysely<never>, args: { [K in keyof A]: unknown }) => Promise<R[]> {
  const compiled = query.compile();
  const slots = compiled.parameters.map((p) => sentinels.indexOf(p));
  if (sentinels.some((s) => !compiled.parameters.includes(s)))
    throw new Error("precompile: a sentinel was not used");
  return async (db, args) => {
    const parameters = compiled.parameters.map((p, i) => {
      const slot = slots[i] as number;
      return slot >= 0 ? args[slot] : p;
    });
    const res = await db.executeQuery<R>(CompiledQuery.raw(compiled.sql, parameters));
    return res.rows;
  };
}
