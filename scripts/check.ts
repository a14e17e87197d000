/**
 * The type-check and the lint of npm test, over one TypeScript program: {@link USAGE}.
 *
 * `tsc --noEmit` and `eslint .` each build the same program: the lint's Pulumi rules need types,
 * and most of either command's time goes to reading the cloud providers' declarations. Handing
 * the lint the program the type-check built does that work once.
 */
import * as path from "node:path";
import { ESLint } from "eslint";
import * as ts from "typescript";

const USAGE = `Usage: ts-node --transpile-only scripts/check.ts [--help]

Reports what 'tsc --noEmit' and 'eslint .' report, type errors first, from one type-checked
program (tsconfig.json). Exits 1 when either finds an error, naming which failed.`;

const repoRoot = path.join(__dirname, "..");

/** The program tsconfig.json describes, as `tsc` builds it. */
function tsconfigProgram(): ts.Program {
  const configFile = path.join(repoRoot, "tsconfig.json");
  const read = ts.readConfigFile(configFile, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, repoRoot, undefined, configFile);
  return ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, configFileParsingDiagnostics: parsed.errors });
}

function typeErrors(program: ts.Program): string {
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (file) => file,
    getCurrentDirectory: () => repoRoot,
    getNewLine: () => "\n",
  };
  return process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext(diagnostics, host) : ts.formatDiagnostics(diagnostics, host);
}

/** ESLint with eslint.config.mjs as it is, except that its type-aware rules read `program`. */
async function lintErrors(program: ts.Program): Promise<{ report: string; failed: boolean }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { typeAwareFiles } = require("../eslint.config.mjs") as { typeAwareFiles: string[] };
  const eslint = new ESLint({
    cwd: repoRoot,
    overrideConfig: { files: typeAwareFiles, languageOptions: { parserOptions: { projectService: false, programs: [program] } } },
  });
  const results = await eslint.lintFiles(["."]);
  const formatter = await eslint.loadFormatter("stylish");
  return { report: await formatter.format(results), failed: results.some((result) => result.errorCount > 0) };
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  if (args.length > 0) {
    console.error(`check.ts: takes no arguments, got '${args.join(" ")}' (see --help)`);
    return 2;
  }
  const program = tsconfigProgram();
  const types = typeErrors(program);
  const lint = await lintErrors(program);
  process.stdout.write(types + lint.report);
  if (types !== "") console.error("type-check failed (tsc --noEmit)");
  if (lint.failed) console.error("lint failed (eslint .)");
  return types !== "" || lint.failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`check.ts: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
