// Which JSON-RPC messages skip the SDK's server transport: a single progress-free tools/call (answered by
// GatewaySession.fastCall) and the cancellation of one.

export type FastCall = {
  jsonrpc: "2.0";
  id: string | number;
  method: "tools/call";
  params: { name: string } & Record<string, unknown>;
};

/** A single tools/call that wants no progress: the only shape the fast path takes. */
export function isFastCall(m: unknown): m is FastCall {
  if (typeof m !== "object" || m === null || Array.isArray(m)) return false;
  const r = m as Record<string, unknown>;
  const params = r.params as Record<string, unknown> | undefined;
  const meta = params?._meta as Record<string, unknown> | undefined;
  return (
    r.jsonrpc === "2.0" &&
    r.method === "tools/call" &&
    (typeof r.id === "string" || typeof r.id === "number") &&
    typeof params === "object" &&
    params !== null &&
    typeof params.name === "string" &&
    (params.arguments === undefined || (typeof params.arguments === "object" && params.arguments !== null)) &&
    meta?.progressToken === undefined
  );
}

export function isCancel(m: unknown): m is { params: { requestId: unknown } } {
  const r = m as { jsonrpc?: unknown; method?: unknown; params?: { requestId?: unknown } } | null;
  return r?.jsonrpc === "2.0" && r.method === "notifications/cancelled" && r.params?.requestId !== undefined;
}
