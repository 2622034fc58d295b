// The credential sources SPEC §6 names, in resolution order: Mogplex first, then the provider keys.

export interface Provider {
  id: string;
  name: string;
  envVar: string;
}

export const MOGPLEX_PROVIDER: Provider = { id: "mogplex", name: "Mogplex", envVar: "MOGPLEX_API_KEY" };

/** Direct model-provider keys, in the order they are tried after MOGPLEX_API_KEY. */
export const MODEL_PROVIDERS: readonly Provider[] = [
  { id: "anthropic", name: "Anthropic", envVar: "ANTHROPIC_API_KEY" },
  { id: "openai", name: "OpenAI", envVar: "OPENAI_API_KEY" },
  { id: "google", name: "Google", envVar: "GOOGLE_GENERATIVE_AI_API_KEY" },
  { id: "groq", name: "Groq", envVar: "GROQ_API_KEY" },
  { id: "mistral", name: "Mistral", envVar: "MISTRAL_API_KEY" },
  { id: "deepseek", name: "DeepSeek", envVar: "DEEPSEEK_API_KEY" },
  { id: "xai", name: "xAI", envVar: "XAI_API_KEY" },
  { id: "cohere", name: "Cohere", envVar: "COHERE_API_KEY" },
  { id: "vercel", name: "Vercel", envVar: "VERCEL_API_TOKEN" },
];

export const ALL_PROVIDERS: readonly Provider[] = [MOGPLEX_PROVIDER, ...MODEL_PROVIDERS];

export const providerById = (id: string) => ALL_PROVIDERS.find((p) => p.id === id);

/** `mog_` + 32 base62 characters. */
export const PAT_RE = /^mog_[0-9A-Za-z]{32}$/;
