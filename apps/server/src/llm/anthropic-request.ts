// An OpenAI chat-completions request as an AI SDK call (for Anthropic models): system and developer messages
// first, user and assistant text, assistant tool_calls and tool results as tool parts, tools as JSON-schema
// functions without `execute` (their calls go back to the client), tool_choice, max tokens, temperature, top_p,
// stop. Anything it cannot translate is a 400 that names the field.
import type { ChatCompletionBody } from "@mogplex/contract";
import {
  jsonSchema,
  type ModelMessage,
  type SystemModelMessage,
  type Tool,
  type ToolChoice,
  type UserModelMessage,
} from "ai";
import { z } from "zod";
import { badRequest } from "../failure.js";
import { validationMessage } from "../http/validate.js";

const TextPart = z.object({ type: z.literal("text"), text: z.string() });
const ImagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.object({
    url: z.string().regex(/^(https:|data:image\/)/, "must be an https: or data:image/ URL"),
  }),
});
const Content = z
  .union([z.string(), z.array(TextPart), z.null()], "content must be a string or an array of text parts")
  .optional();
const UserContent = z
  .union(
    [z.string(), z.array(z.discriminatedUnion("type", [TextPart, ImagePart])), z.null()],
    "content must be a string or an array of text and image_url parts",
  )
  .optional();
const ToolCall = z.object({
  id: z.string().min(1),
  type: z.literal("function").optional(),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});
const Message = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content: Content }),
  z.object({ role: z.literal("developer"), content: Content }),
  z.object({ role: z.literal("user"), content: UserContent }),
  z.object({ role: z.literal("assistant"), content: Content, tool_calls: z.array(ToolCall).optional() }),
  z.object({ role: z.literal("tool"), tool_call_id: z.string().min(1), content: Content }),
]);
const FunctionTool = z
  .object({
    type: z.literal("function"),
    function: z
      .object({
        name: z.string().min(1).max(128),
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
      })
      .loose(),
  })
  .loose();
const Request = z
  .object({
    messages: z.array(Message),
    tools: z.array(FunctionTool).optional(),
    tool_choice: z
      .union(
        [
          z.enum(["none", "auto", "required"]),
          z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
        ],
        'tool_choice must be "none", "auto", "required" or { type: "function", function: { name } }',
      )
      .optional(),
    max_tokens: z.number().int().positive().nullable().optional(),
    max_completion_tokens: z.number().int().positive().nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    n: z.literal(1, "Anthropic models give one choice per request (n: 1)").nullable().optional(),
    stop: z
      .union([z.string(), z.array(z.string()).max(8)])
      .nullable()
      .optional(),
  })
  .loose();

/** What streamText / generateText take besides the model. */
export interface AnthropicCall {
  system?: SystemModelMessage[];
  messages: ModelMessage[];
  tools?: Record<string, Tool>;
  toolChoice?: ToolChoice<Record<string, Tool>>;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
}

const textOf = (c: z.infer<typeof Content>) =>
  typeof c === "string" ? c : (c ?? []).map((p) => p.text).join("");

/** User content: text, and images as data (data: URLs) or https URLs Anthropic fetches itself. */
function userContent(c: z.infer<typeof UserContent>): UserModelMessage["content"] {
  if (typeof c === "string" || !c) return c ?? "";
  return c.map((p) => {
    if (p.type === "text") return p;
    const url = p.image_url.url;
    const data = /^data:(image\/[\w.+-]+);base64,(.*)$/s.exec(url);
    if (url.startsWith("data:") && !data)
      throw badRequest("image_url: a data URL must be base64 (data:image/…;base64,…)");
    return data
      ? { type: "image" as const, image: data[2] as string, mediaType: data[1] }
      : { type: "image" as const, image: new URL(url) };
  });
}

export function toAnthropicCall(body: ChatCompletionBody): AnthropicCall {
  const parsed = Request.safeParse(body);
  if (!parsed.success) throw badRequest(validationMessage(parsed.error));
  const r = parsed.data;
  const system: SystemModelMessage[] = [];
  const messages: ModelMessage[] = [];
  const toolNames = new Map<string, string>();
  for (const m of r.messages) {
    if (m.role === "system" || m.role === "developer") {
      // Anthropic has one system prompt: every system message goes first, in order.
      system.push({ role: "system", content: textOf(m.content) });
    } else if (m.role === "user") {
      messages.push({ role: "user", content: userContent(m.content) });
    } else if (m.role === "assistant") {
      const text = textOf(m.content);
      const calls = (m.tool_calls ?? []).map((c) => {
        toolNames.set(c.id, c.function.name);
        let input: unknown;
        try {
          input = c.function.arguments.trim() === "" ? {} : JSON.parse(c.function.arguments);
        } catch {
          throw badRequest(`tool call ${c.id}: function.arguments must be a JSON object`);
        }
        return { type: "tool-call" as const, toolCallId: c.id, toolName: c.function.name, input };
      });
      messages.push({
        role: "assistant",
        content: [...(text ? [{ type: "text" as const, text }] : []), ...calls],
      });
    } else {
      const toolName = toolNames.get(m.tool_call_id);
      if (!toolName)
        throw badRequest(`tool message: no earlier assistant tool call has id ${m.tool_call_id}`);
      const output = { type: "text" as const, value: textOf(m.content) };
      messages.push({
        role: "tool",
        content: [{ type: "tool-result", toolCallId: m.tool_call_id, toolName, output }],
      });
    }
  }
  const call: AnthropicCall = { messages, ...(system.length ? { system } : {}) };
  if (r.tools?.length) {
    call.tools = Object.fromEntries(
      r.tools.map((t) => [
        t.function.name,
        {
          ...(t.function.description ? { description: t.function.description } : {}),
          inputSchema: jsonSchema(t.function.parameters ?? { type: "object", properties: {} }),
        } as Tool,
      ]),
    );
  }
  const choice = r.tool_choice;
  if (choice)
    call.toolChoice = typeof choice === "string" ? choice : { type: "tool", toolName: choice.function.name };
  const max = r.max_completion_tokens ?? r.max_tokens;
  if (max) call.maxOutputTokens = max;
  if (r.temperature != null) call.temperature = r.temperature;
  if (r.top_p != null) call.topP = r.top_p;
  if (r.stop != null) call.stopSequences = typeof r.stop === "string" ? [r.stop] : r.stop;
  return call;
}
