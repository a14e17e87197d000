/**
 * The engine's raw output, one log file per stack (`.mesh-logs/<stack>.log`, appended to run after
 * run), so that the screen keeps to the phases, each stack's result and the summary. The first time
 * a stack writes to its file in a run, the path is printed; `--verbose` streams everything instead.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineLog, Log } from "./ports";

export function fileEngineLogs(dir: string, log: Log): (stack: string) => EngineLog {
  const announced = new Set<string>();
  return (stack) => {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${stack}.log`);
    if (!announced.has(stack)) {
      announced.add(stack);
      log.out(`[${stack}] engine output: ${path.relative(process.cwd(), file) || file}`);
    }
    const fd = fs.openSync(file, "a");
    fs.writeSync(fd, `--- ${new Date().toISOString()}\n`);
    const write = (chunk: string) => fs.writeSync(fd, chunk);
    return { streams: { onOutput: write, onError: write }, close: () => fs.closeSync(fd) };
  };
}
