// The tool round trip both model-endpoint paths are checked with: the AI SDK's streamText through the endpoint,
// the model asking for `lookup`, the SDK running it and sending the result back, then the final text.
import type { OpenAICompatibleProvider } from "@ai-sdk/openai-compatible";
import { stepCountIs, streamText, tool } from "ai";
import { z } from "zod";

export async function weatherRoundTrip(
  client: OpenAICompatibleProvider,
  o: { model: string; prompt: string; system?: string },
) {
  const seen: string[] = [];
  const result = streamText({
    model: client.chatModel(o.model),
    ...(o.system ? { system: o.system } : {}),
    prompt: o.prompt,
    tools: {
      lookup: tool({
        description: "Weather for a city",
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }) => {
          seen.push(city);
          return { weather: "sunny" };
        },
      }),
    },
    stopWhen: stepCountIs(3),
  });
  let text = "";
  for await (const part of result.textStream) text += part;
  return { text, seen, usage: await result.totalUsage };
}
