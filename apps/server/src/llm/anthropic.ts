// Anthropic models through the OpenAI-compatible endpoint: the request, translated (anthropic-request.ts) into an
// AI SDK call on the Anthropic provider (tools without execute, so tool calls go back to the client; no retries),
// answered in OpenAI's format: chat.completion JSON, or chat.completion.chunk SSE (anthropic-stream.ts). Provider
// errors become the relay path's 400/429/502 with every server key scrubbed.
import { APICallError, generateText, streamText, type TextStreamPart, type Tool } from "ai";
import type { EngineConfig } from "../config/engine.js";
import { anthropicProvider } from "../engine/models.js";
import { badRequest, Failure, failure } from "../failure.js";
import { newId } from "../security/random.js";
import type { Upstream } from "./access.js";
import type { AnthropicCall } from "./anthropic-request.js";
import { countsOf, finishReason, openAiChunks, openAiUsage } from "./anthropic-stream.js";
import type { Done } from "./relay.js";
import { scrub, scrubIfHeld, unreachable, upstreamFailure } from "./upstream.js";

export type Answer = { json: string } | { stream: ReadableStream<Uint8Array> };

/** SDK errors that mean the request itself cannot be sent (the caller's to fix); anything else is a 502. */
const REFUSED_BY_SDK = new Set([
  "AI_InvalidPromptError",
  "AI_InvalidArgumentError",
  "AI_InvalidMessageRoleError",
  "AI_UnsupportedFunctionalityError",
  "AI_MessageConversionError",
]);

/** Why the provider call failed, as the endpoint says it. */
async function anthropicFailure(up: Upstream, err: unknown): Promise<Failure> {
  if (err instanceof Failure) return err;
  if (APICallError.isInstance(err)) {
    if (err.statusCode === undefined || err.statusCode < 400 || err.statusCode > 599) return unreachable(up);
    const headers = err.responseHeaders ?? {};
    return upstreamFailure(up, new Response(err.responseBody ?? "", { status: err.statusCode, headers }));
  }
  // The SDK refusing the request before sending it (e.g. a prompt shape Anthropic does not take).
  if (err instanceof Error && REFUSED_BY_SDK.has(err.name)) {
    return badRequest(
      `The request cannot be sent to ${up.id}: ${scrub(err.message, up.secrets).slice(0, 500)}`,
    );
  }
  return failure("BAD_GATEWAY", `The model provider for ${up.id} failed to answer; try again shortly`);
}

export async function anthropicAnswer(
  up: Upstream,
  engine: EngineConfig,
  call: AnthropicCall,
  stream: boolean,
  done: Done,
  upstream: AbortController,
): Promise<Answer> {
  const model = anthropicProvider(engine, up.apiKey)(up.modelId);
  const head = { id: `chatcmpl-${newId()}`, created: Math.floor(Date.now() / 1000), model: up.id };
  const settings = {
    ...call,
    model,
    maxRetries: 0,
    abortSignal: upstream.signal,
    // The server never fetches a URL from a request: image URLs go to Anthropic as they are.
    experimental_download: async (urls: Array<{ url: URL; isUrlSupportedByModel: boolean }>) =>
      urls.map((u) => {
        if (u.isUrlSupportedByModel) return null;
        throw badRequest(`${up.id} cannot take ${u.url.protocol} URLs in messages; send the content inline`);
      }),
  };
  if (!stream) {
    let r: Awaited<ReturnType<typeof generateText>>;
    try {
      r = await generateText(settings);
    } catch (err) {
      if (upstream.signal.aborted) throw err;
      throw await anthropicFailure(up, err);
    }
    const usage = countsOf(r.usage);
    await done(usage, "ok");
    const toolCalls = r.toolCalls.map((c) => ({
      id: c.toolCallId,
      type: "function",
      function: { name: c.toolName, arguments: JSON.stringify(c.input ?? {}) },
    }));
    const message = {
      role: "assistant",
      content: r.text === "" && toolCalls.length > 0 ? null : r.text,
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    };
    const json = JSON.stringify({
      ...head,
      object: "chat.completion",
      choices: [{ index: 0, message, finish_reason: finishReason(r.finishReason) }],
      usage: openAiUsage(usage),
    });
    return { json: scrubIfHeld(json, up.secrets) };
  }
  // Errors arrive as stream parts: read up to the first model output, so a refused call is still an HTTP error.
  const result = streamText({ ...settings, onError: () => {} });
  const reader = (result.fullStream as ReadableStream<TextStreamPart<Record<string, Tool>>>).getReader();
  const first: TextStreamPart<Record<string, Tool>>[] = [];
  for (;;) {
    const { value } = await reader.read();
    if (!value) break;
    if (value.type === "error" || value.type === "abort") {
      await reader.cancel().catch(() => {});
      if (upstream.signal.aborted) throw new DOMException("The request was cancelled", "AbortError");
      throw await anthropicFailure(up, value.type === "error" ? value.error : undefined);
    }
    first.push(value);
    if (value.type === "start-step") break;
  }
  return { stream: openAiChunks(head, first, reader, done, upstream) };
}
