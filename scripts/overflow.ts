/**
 * Entry of `npm run overflow -- sweep|surge`: reads burstmesh:services and burstmesh:members from
 * Pulumi.yaml (the project-level config every stack reads) and runs the traffic model's CLI.
 */
import * as fs from "node:fs";
import { parseServiceConfig, projectDefaults } from "../config";
import { runOverflowCli, USAGE, UsageError } from "./overflowCli";

function main(): number {
  const defaults = projectDefaults();
  const members = Array.isArray(defaults["burstmesh:members"]) ? (defaults["burstmesh:members"] as string[]) : [];
  const parsed = parseServiceConfig(defaults["burstmesh:services"], undefined, { members });
  if (!parsed.ok) {
    console.error(`Pulumi.yaml:\n  ${parsed.issues.join("\n  ")}`);
    return 2;
  }
  try {
    runOverflowCli(process.argv.slice(2), parsed.services, members, {
      out: (text) => console.log(text),
      writeFile: (file, content) => fs.writeFileSync(file, content),
    });
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError && "code" in error)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
}

process.exitCode = main();
