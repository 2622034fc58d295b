// A stdio MCP server with no dependencies, written into a temp directory the way an operator installs one
// outside /usr: one tool (greet). `boot.js` refuses to start, loudly on stderr, until config.json exists.
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SERVER = `
const readline = require('readline');
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.id === undefined) return;
  if (m.method === 'initialize')
    return send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion,
      capabilities: { tools: {} }, serverInfo: { name: 'mini', version: '1.0.0' } } });
  if (m.method === 'tools/list')
    return send({ jsonrpc: '2.0', id: m.id, result: { tools: [{ name: 'greet', description: 'Says hello',
      inputSchema: { type: 'object', properties: { who: { type: 'string' } } } }] } });
  if (m.method === 'tools/call')
    return send({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text',
      text: 'hello ' + m.params.arguments.who } ] } });
  send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'no such method' } });
});
`;

// Prints a planted secret (from its env) and a token-shaped one before dying: both must be redacted wherever
// the gateway shows this.
const boot = (token: string) => `
const fs = require('fs'), path = require('path');
const config = path.join(__dirname, 'config.json');
if (!fs.existsSync(config)) {
  console.error('starting mini server, key=' + process.env.API_TOKEN);
  console.error('GitHub token ${token} loaded');
  console.error('fatal: ' + config + ' is missing; create it and restart');
  process.exit(3);
}
require('./server.js');
`;

/** A fresh install directory (readable by the sandbox's user) holding server.js and boot.js. */
export function installMiniServer(plantedToken: string, prefix = "mogplex-mini-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, "server.js"), SERVER, { mode: 0o644 });
  writeFileSync(join(dir, "boot.js"), boot(plantedToken), { mode: 0o644 });
  return dir;
}
