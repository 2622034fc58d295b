// Time source as an injected dependency, so limits and expiry can be tested with a fake clock.
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
