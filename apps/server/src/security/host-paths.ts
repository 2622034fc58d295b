// Path containment for the server's private directories (data dir, MOGPLEX_HOME): kernel, so config.ts can
// refuse an operator mount that exposes them without importing the gateway (gateway/launch/mounts.ts uses it too).

export const within = (child: string, parent: string): boolean =>
  child === parent || child.startsWith(parent.endsWith("/") ? parent : `${parent}/`);

/** True when `p` is, or contains, one of the server's own directories (data dir, MOGPLEX_HOME). */
export function exposesPrivate(p: string, privateDirs: readonly string[]): boolean {
  return privateDirs.some((d) => within(p, d) || within(d, p));
}
