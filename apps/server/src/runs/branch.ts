// Generated working-branch names: mogplex/run/<YYYY-MM-DD>/<slug-of-prompt>-<short-id>.
import { redactSecretValues } from "../sanitize/index.js";

export function slugify(text: string, max = 40): string {
  const slug = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, max)
    .replace(/-+$/g, "");
  return slug || "run";
}

export function generatedBranchName(prompt: string, runId: string, now: number): string {
  const day = new Date(now).toISOString().slice(0, 10);
  const shortId = runId
    .replace(/[^a-z0-9]/gi, "")
    .slice(0, 8)
    .toLowerCase();
  // The slug keeps 40 chars of the prompt: a credential pasted into it must not become part of a pushed ref.
  return `mogplex/run/${day}/${slugify(redactSecretValues(prompt))}-${shortId}`;
}
