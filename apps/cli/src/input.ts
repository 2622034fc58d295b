// Reading what the user types or pipes in: a hidden secret, all of stdin, or a pasted code raced against
// the browser callback.
import { createInterface } from "node:readline";
import type { Ctx } from "./context.js";

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** A secret from the terminal (not echoed), or all of stdin when it is a pipe. */
export async function readSecret(ctx: Ctx, question: string): Promise<string> {
  if (ctx.stdin.isTTY) {
    const { promptHidden } = await import("./prompt.js");
    return promptHidden(question);
  }
  return readAll(ctx.stdin);
}

/**
 * The first non-empty line on stdin: on a terminal with a prompt, from a pipe silently. Never resolves when
 * stdin ends without one; stops reading when `signal` aborts.
 */
export function pastedLine(ctx: Ctx, signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    if (signal.aborted) return;
    const rl = createInterface({
      input: ctx.stdin,
      output: ctx.interactive ? process.stderr : undefined,
      terminal: false,
    });
    if (ctx.interactive) process.stderr.write("Or paste the code shown in the browser here: ");
    // Once read from, a piped stdin keeps the process alive even when paused: let go of it when done.
    const release = () => {
      rl.close();
      (ctx.stdin as { unref?: () => void }).unref?.();
    };
    rl.on("line", (line) => {
      if (line.trim() === "") return;
      release();
      resolve(line);
    });
    signal.addEventListener("abort", release, { once: true });
  });
}
