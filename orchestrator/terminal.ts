/** Questions the orchestrator asks on a terminal: a yes/no confirmation and a hidden line (the passphrase). */

/** A terminal input: a readable stream that can switch echo and line editing off (raw mode). */
export interface TerminalInput extends NodeJS.EventEmitter {
  isRaw?: boolean;
  setRawMode(raw: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  resume(): unknown;
  pause(): unknown;
}

export class CancelledError extends Error {
  constructor() {
    super("cancelled at the prompt");
    this.name = "CancelledError";
  }
}

const ENTER = new Set(["\r", "\n"]);
const CTRL_C = "\u0003";
const CTRL_D = "\u0004";
const BACKSPACE = new Set(["\u007f", "\b"]);
// Cursor keys and the like arrive as escape sequences (control characters); they edit nothing here.
// eslint-disable-next-line no-control-regex
const ESCAPE_SEQUENCE = /\u001b(\[[0-9;]*[A-Za-z~]|O[A-Za-z])?/g;

/**
 * Reads one line from a terminal in raw mode, so that nothing typed is echoed; prints the prompt and,
 * at the end, only a line break. Backspace deletes, Ctrl-C (and Ctrl-D on an empty line) cancel.
 */
export function readHidden(prompt: string, input: TerminalInput, output: { write(text: string): unknown }): Promise<string> {
  return new Promise((resolve, reject) => {
    const wasRaw = !!input.isRaw;
    let typed: string[] = [];
    const finish = (error?: Error) => {
      input.removeListener("data", onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write("\n");
      if (error) reject(error);
      else resolve(typed.join(""));
    };
    const onData = (chunk: string | Buffer) => {
      for (const char of String(chunk).replace(ESCAPE_SEQUENCE, "")) {
        if (ENTER.has(char)) return finish();
        if (char === CTRL_C || (char === CTRL_D && typed.length === 0)) return finish(new CancelledError());
        if (BACKSPACE.has(char)) typed = typed.slice(0, -1);
        else if (char >= " ") typed.push(char);
      }
    };
    output.write(prompt);
    input.setRawMode(true);
    input.setEncoding("utf8");
    input.on("data", onData);
    input.resume();
  });
}

/** Asks a yes/no question on the terminal; only a typed `yes` confirms. */
export async function confirmOnTerminal(question: string): Promise<boolean> {
  const readline = await import("node:readline/promises");
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(`${question} Type 'yes' to continue: `)).trim() === "yes";
  } finally {
    rl.close();
  }
}

/** Reads a hidden line on this process's terminal (prompt on stderr, so that stdout stays the log). */
export function askHiddenOnTerminal(prompt: string): Promise<string> {
  return readHidden(prompt, process.stdin, process.stderr);
}
