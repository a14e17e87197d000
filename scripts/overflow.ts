/**
 * Entry of `npm run overflow -- sweep|surge`: reads burstmesh:services and burstmesh:members from
 * Pulumi.yaml (the project-level config every stack reads) and runs the traffic model's CLI.
 */
import * as fs from "node:fs";
import { parseProjectServices, projectDefaults } from "../config";
import { CliIo, runOverflowCli, USAGE, UsageError } from "./overflowCli";

/** The CLI's output, and where bad input is reported. */
export interface OverflowIo extends CliIo {
  err: (text: string) => void;
}

const processIo: OverflowIo = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
  writeFile: (file, content) => fs.writeFileSync(file, content),
  readFile: (file) => fs.readFileSync(file, "utf8"),
};

/** Runs one command over Pulumi.yaml's services and returns the exit code: 2 for bad input, with the usage. */
export function runOverflow(argv: string[], io: OverflowIo = processIo): number {
  const { members, parsed } = parseProjectServices(projectDefaults());
  if (!parsed.ok) {
    io.err(`Pulumi.yaml:\n  ${parsed.issues.join("\n  ")}`);
    return 2;
  }
  try {
    runOverflowCli(argv, parsed.services, members, io);
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError && "code" in error)) throw error;
    io.err(`${error.message}\n\n${USAGE}`);
    return 2;
  }
}

if (require.main === module) process.exitCode = runOverflow(process.argv.slice(2));
