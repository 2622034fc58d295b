// Reads a line from the terminal without echoing it (passwords).
import { createInterface } from "node:readline";

export function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const r = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
    r._writeToOutput = (s: string) => {
      if (s.includes(question)) r.output.write(s);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write("\n");
      resolve(answer);
    });
  });
}
