// The `mogplex` harness loop on the AI SDK: model steps with tools, per-call timeouts, usage per call.
import { generateText, type LanguageModelMiddleware, stepCountIs, type ToolSet, wrapLanguageModel } from "ai";
import type { Model } from "../models.js";

export interface ModelCall {
  model: string;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  finishReason: string;
}

export interface AgentOptions {
  model: Model;
  /** provider/model-id, for events. */
  modelName: string;
  system: string;
  prompt: string;
  tools: ToolSet;
  maxSteps: number;
  /** Per model call (one step's request to the provider), not counting the step's tool work. */
  stepTimeoutMs: number;
  signal: AbortSignal;
  onModelCall: (call: ModelCall) => Promise<void>;
}

export interface AgentResult {
  text: string;
  steps: number;
  finishReason: string;
  hitStepLimit: boolean;
}

export class ModelTimeoutError extends Error {
  override readonly name = "ModelTimeoutError";
}

export const SYSTEM_PROMPT = [
  "You are Mogplex, a coding agent working in a git checkout of the user's repository.",
  "Use the tools to inspect and change files and to run commands (build, tests). Paths are relative to the",
  "repository root. Commands run in an isolated sandbox without network access.",
  "Make the change the user asks for, check it when you can, then reply with a short summary of what you",
  "changed. Do not commit or push: your changes are committed to the working branch for you when you finish.",
].join("\n");

export async function runAgent(o: AgentOptions): Promise<AgentResult> {
  const middleware: LanguageModelMiddleware = {
    specificationVersion: "v3",
    // A per-call deadline joined to the run's own abort: a stuck provider fails the call, not the worker.
    transformParams: async ({ params }) => {
      const timeout = AbortSignal.timeout(o.stepTimeoutMs);
      const signals = [timeout, ...(params.abortSignal ? [params.abortSignal] : [])];
      return { ...params, abortSignal: AbortSignal.any(signals) };
    },
    wrapGenerate: async ({ doGenerate, params }) => {
      const started = Date.now();
      try {
        const result = await doGenerate();
        await o.onModelCall({
          model: o.modelName,
          inputTokens: result.usage.inputTokens.total ?? 0,
          outputTokens: result.usage.outputTokens.total ?? 0,
          latencyMs: Date.now() - started,
          finishReason: result.finishReason.unified,
        });
        return result;
      } catch (err) {
        const timedOut = params.abortSignal?.aborted && !o.signal.aborted;
        if (timedOut) {
          throw new ModelTimeoutError(`model call timed out after ${Math.round(o.stepTimeoutMs / 1000)}s`);
        }
        throw err;
      }
    },
  };
  const result = await generateText({
    model: wrapLanguageModel({ model: o.model, middleware }),
    system: o.system,
    prompt: o.prompt,
    tools: o.tools,
    stopWhen: stepCountIs(o.maxSteps),
    abortSignal: o.signal,
    maxRetries: 2,
  });
  const last = result.steps[result.steps.length - 1];
  const hitStepLimit = result.steps.length >= o.maxSteps && (last?.toolCalls.length ?? 0) > 0;
  return { text: result.text, steps: result.steps.length, finishReason: result.finishReason, hitStepLimit };
}
