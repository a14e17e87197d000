/**
 * The rehearsal toolchain: the Pulumi CLI and a Node.js language host, the Kubernetes and TLS provider plugins, etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler, kwok, istiod's pilot-discovery and Istio's Helm charts,
 * each built from the Go module pinned in versions.json (nothing is downloaded but Go modules) into
 * `${BURSTMESH_REHEARSAL_CACHE ?? (XDG_CACHE_HOME ?? ~/.cache)/burstmesh-rehearsal}/<hash of versions.json>/`,
 * so a pin change builds a fresh directory and an unchanged one is reused.
 *
 *   npx ts-node --transpile-only rehearsal/toolchain/build.ts            build what is missing
 *   npx ts-node --transpile-only rehearsal/toolchain/build.ts --status   JSON: present/missing/blocked; exit 1 if incomplete
 *
 * Why wrapper modules: `go install module@version` refuses a module whose go.mod has replace
 * directives, and most of these have some (pulumi/pkg replaces sdk with ../sdk, k8s.io/kubernetes
 * replaces every staging module with ./staging/..., pulumi-kubernetes replaces its sdk). So each tool
 * gets a small generated main module in `<cache>/src/<tool>/` that requires the pinned module and
 * restates those replaces with published module versions; `go build -mod=mod` there resolves the rest
 * from the module proxy. Four tools are a main of our own next to this file: the Kubernetes provider
 * (its release build generates the embedded schema, which the module zip lacks), the Node.js language
 * host and the TLS provider (the proxy refuses Pulumi's) and istio-charts (writes the charts istioctl embeds
 * as a Helm repository).
 * The go build cache (GOCACHE) is shared, so a rebuild after a pin change recompiles only what changed.
 * A tool marked `blocked` in versions.json is probed (so the log says what the proxy answers) but not built.
 */
import { spawn, SpawnOptions } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { formatDuration } from "../../orchestrator/summary";

/** One binary of a tool: its name in `<cache>/bin/`, the Go package (`.` is the wrapper's own main). */
export interface Binary {
  name: string;
  package: string;
  /** `-X` flags, or the name of one of the tool's `ldflagSets`. */
  ldflags?: string[] | string;
}

/** A file the wrapper embeds, taken from the pinned module's directory. */
export interface EmbedFile {
  file: string;
  from: string;
  /** Set the JSON document's top-level `version` (a Pulumi schema's). */
  setVersion?: string;
}

export interface Tool {
  module: string;
  version: string;
  /** The upstream release the pinned module version is (when it is one). */
  release?: string;
  /** The version the build stamps on a pin that is no release (Istio's charts and pilot-discovery). */
  stampedAs?: string;
  wanted?: string;
  note?: string;
  wrapperNote?: string;
  /** Why the tool cannot be built from the module proxy; it is probed, never built. */
  blocked?: string;
  require?: Record<string, string>;
  /** Old module path => `new/path@version`. */
  replace?: Record<string, string>;
  /** Replace every module the pinned go.mod points at ./staging/ with this version of it. */
  replaceStagingWith?: string;
  main?: { source: string; embed?: EmbedFile[] };
  binaries: Binary[];
  ldflagSets?: Record<string, string[]>;
  /** Files of the pinned module to concatenate (YAML documents, `---` between) into `<cache>/<output>`. */
  files?: { output: string; from: string[] }[];
  /** Run the (first) binary once after building it, `{output}` in args being `<cache>/<output>` (produces: files in it). */
  run?: { output: string; args: string[]; produces: string[] };
}

export interface Pins {
  go: { toolchain: string; env: Record<string, string>; buildFlags: string[]; ldflags: string[]; parallel: number };
  tools: Record<string, Tool>;
}

/** versions.json as read: its exact content (hashed for the cache directory) and the parsed pins. */
export interface LoadedPins {
  content: string;
  pins: Pins;
}

export const versionsFile = path.join(__dirname, "versions.json");

export function loadPins(file: string = versionsFile): LoadedPins {
  const content = fs.readFileSync(file, "utf8");
  return { content, pins: JSON.parse(content) as Pins };
}

/** The first 16 hex digits of the SHA-256 of versions.json's content. */
export function pinsHash(content: string): string {
  return createHash("sha256").update(content).digest("hex").slice(0, 16);
}

/** Where every toolchain directory lives. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  if (env.BURSTMESH_REHEARSAL_CACHE) return env.BURSTMESH_REHEARSAL_CACHE;
  return path.join(env.XDG_CACHE_HOME || path.join(home, ".cache"), "burstmesh-rehearsal");
}

/** The directory of this set of pins: `<cache root>/<pinsHash>`, holding bin/, charts/ and src/. */
export function toolchainDir(pins: LoadedPins = loadPins(), env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheRoot(env), pinsHash(pins.content));
}

/** The `go` directive of a go.mod. */
export function goDirective(goMod: string): string | undefined {
  return /^go\s+(\S+)\s*$/m.exec(goMod)?.[1];
}

/** The modules a go.mod replaces with a directory under ./staging/ (k8s.io/kubernetes's staging modules), sorted. */
export function stagingModules(goMod: string): string[] {
  const found = new Set<string>();
  for (const match of goMod.matchAll(/^[ \t]*(?:replace[ \t]+)?([^\s(]+)(?:[ \t]+\S+)?[ \t]+=>[ \t]+\.\/staging\/\S+[ \t]*$/gm))
    found.add(match[1]);
  return [...found].sort();
}

/** The generated main module of a tool: requires the pin (and its `require`s), restates the replaces. */
export function wrapperGoMod(toolName: string, tool: Tool, goVersion: string, staging: string[] = []): string {
  const requires = { [tool.module]: tool.version, ...(tool.require ?? {}) };
  const replaces: [string, string][] = Object.entries(tool.replace ?? {}).map(([from, to]) => [from, to.replace("@", " ")]);
  if (tool.replaceStagingWith) for (const module of staging) replaces.push([module, `${module} ${tool.replaceStagingWith}`]);
  const lines = [
    `// Generated by rehearsal/toolchain/build.ts from versions.json; do not edit.`,
    `module burstmesh.rehearsal/${toolName}`,
    "",
  ];
  lines.push(`go ${goVersion}`, "", "require (", ...Object.entries(requires).map(([m, v]) => `\t${m} ${v}`), ")", "");
  if (replaces.length > 0) lines.push("replace (", ...replaces.map(([from, to]) => `\t${from} => ${to}`), ")", "");
  return lines.join("\n");
}

/** The -ldflags value of one binary: the common flags, then the binary's own. */
export function ldflagsFor(pins: Pins, tool: Tool, binary: Binary): string {
  const own = typeof binary.ldflags === "string" ? tool.ldflagSets?.[binary.ldflags] : binary.ldflags;
  if (typeof binary.ldflags === "string" && !own) throw new Error(`${binary.name}: no ldflagSets.${binary.ldflags}`);
  const flags = [...pins.go.ldflags, ...(own ?? [])];
  for (const flag of flags)
    if (/[\s'"]/.test(flag.replace(/^-X /, ""))) throw new Error(`${binary.name}: ldflag ${flag} has a space or quote`);
  return flags.join(" ");
}

/** The `go build` arguments of one binary, run in the tool's wrapper directory. */
export function goBuildArgs(pins: Pins, tool: Tool, binary: Binary, output: string): string[] {
  return [
    "build",
    "-mod=mod",
    "-p",
    String(pins.go.parallel),
    ...pins.go.buildFlags,
    "-ldflags",
    ldflagsFor(pins, tool, binary),
    "-o",
    output,
    binary.package,
  ];
}

/** The environment of every go command: the pinned toolchain, CGO off, everything else inherited. */
export function goEnv(pins: Pins, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, GOTOOLCHAIN: pins.go.toolchain, ...pins.go.env };
}

/** The tools in build order (versions.json's order), blocked ones included. */
export function toolNames(pins: Pins): string[] {
  return Object.keys(pins.tools);
}

/** The outputs a tool leaves in the toolchain directory, relative to it. */
export function toolOutputs(tool: Tool): string[] {
  const produced = tool.run ? tool.run.produces.map((file) => path.join(tool.run!.output, file)) : [];
  const copied = (tool.files ?? []).map((f) => f.output);
  return [...tool.binaries.map((b) => path.join("bin", b.name)), ...copied, ...produced];
}

/** The content hash of a tool's own Go sources, so that editing them rebuilds the tool. */
export function mainSourceHash(tool: Tool, sourceDir: string = __dirname): string | undefined {
  if (!tool.main) return undefined;
  return createHash("sha256")
    .update(fs.readFileSync(path.join(sourceDir, tool.main.source)))
    .digest("hex");
}

const stampFile = ".source-sha256";

export interface ToolchainStatus {
  dir: string;
  /** Every binary and chart file is there, blocked tools aside. */
  complete: boolean;
  present: string[];
  missing: string[];
  blocked: { tool: string; binaries: string[]; reason: string }[];
}

/** Which outputs are in the toolchain directory; a tool whose own Go source changed counts as missing. */
export function toolchainStatus(pins: LoadedPins = loadPins(), env: NodeJS.ProcessEnv = process.env): ToolchainStatus {
  const dir = toolchainDir(pins, env);
  const status: ToolchainStatus = { dir, complete: true, present: [], missing: [], blocked: [] };
  for (const [name, tool] of Object.entries(pins.pins.tools)) {
    if (tool.blocked) {
      status.blocked.push({ tool: name, binaries: tool.binaries.map((b) => b.name), reason: tool.blocked });
      continue;
    }
    const stale = tool.main !== undefined && readIfExists(path.join(dir, "src", name, stampFile)) !== mainSourceHash(tool);
    for (const output of toolOutputs(tool)) {
      const there = !stale && fs.existsSync(path.join(dir, output));
      (there ? status.present : status.missing).push(output);
    }
  }
  status.complete = status.missing.length === 0;
  return status;
}

function readIfExists(file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

/** What `go mod download -json` says of one module version. */
export interface ModuleDownload {
  Path: string;
  Version: string;
  Error?: string;
  GoMod?: string;
  Dir?: string;
}

/** The error to raise when the module proxy does not give a module version. */
export function refusalError(module: string, version: string, answer: string): Error {
  return new Error(`${module}@${version}: the Go module proxy does not serve it: ${answer.trim()}`);
}

function run(command: string, args: string[], options: SpawnOptions, capture = false): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", capture ? "pipe" : "inherit", "inherit"] });
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout }));
  });
}

/** Downloads one module version into the module cache, or throws naming it and the proxy's answer. */
async function probe(pins: Pins, module: string, version: string, cwd: string): Promise<ModuleDownload> {
  const { stdout } = await run("go", ["mod", "download", "-json", `${module}@${version}`], { cwd, env: goEnv(pins) }, true);
  let answer: ModuleDownload;
  try {
    answer = JSON.parse(stdout) as ModuleDownload;
  } catch {
    throw refusalError(module, version, stdout || "no answer from go mod download");
  }
  if (answer.Error) throw refusalError(module, version, answer.Error);
  return answer;
}

/** The module versions a tool's wrapper names, the pin first. */
export function probedModules(tool: Tool): [string, string][] {
  const replaced = Object.values(tool.replace ?? {}).map((to) => to.split("@") as [string, string]);
  return [[tool.module, tool.version], ...Object.entries(tool.require ?? {}), ...replaced];
}

/** Writes a file only when its content differs (the wrapper stays byte-identical across runs). */
function writeFile(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (fs.existsSync(file) && fs.readFileSync(file).equals(Buffer.from(content))) return;
  fs.writeFileSync(file, content);
}

/** An embedded file: the module's file, re-serialized compactly, with `version` set when asked. */
export function embedContent(source: string, embed: EmbedFile): string {
  const document = JSON.parse(source) as Record<string, unknown>;
  if (embed.setVersion) document.version = embed.setVersion;
  return JSON.stringify(document);
}

/** YAML files as one multi-document stream. */
export function concatenatedYaml(documents: string[]): string {
  return documents.map((d) => d.replace(/^---\s*\n/, "").trimEnd() + "\n").join("---\n");
}

export type Log = (line: string) => void;

/** Builds every missing output of the toolchain, in versions.json's order; throws at the first failure. */
export async function buildToolchain(log: Log = console.log, loaded: LoadedPins = loadPins()): Promise<ToolchainStatus> {
  const { pins } = loaded;
  const dir = toolchainDir(loaded);
  const started = Date.now();
  const say = (tool: string, step: string) => log(`[toolchain +${formatDuration(Date.now() - started)}] ${tool}: ${step}`);
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  writeFile(path.join(dir, "versions.json"), loaded.content);
  say("all", `toolchain directory ${dir}`);

  for (const [name, tool] of Object.entries(pins.tools)) {
    const toolStarted = Date.now();
    const srcDir = path.join(dir, "src", name);
    if (tool.blocked) {
      const answer = await probe(pins, tool.module, tool.version, dir).then(
        () => `${tool.module}@${tool.version} is served now: give versions.json a wrapper for it and remove "blocked"`,
        (error: Error) => error.message,
      );
      say(name, `blocked, not built (${tool.blocked}) -- probe: ${answer}`);
      continue;
    }
    const sourceHash = mainSourceHash(tool);
    const fresh = sourceHash === undefined || readIfExists(path.join(srcDir, stampFile)) === sourceHash;
    const binariesThere = fresh && tool.binaries.every((b) => fs.existsSync(path.join(dir, "bin", b.name)));
    const outputsThere = binariesThere && toolOutputs(tool).every((o) => fs.existsSync(path.join(dir, o)));
    if (outputsThere) {
      say(name, "already built, skipped");
      continue;
    }
    if (!binariesThere) {
      say(
        name,
        `probe ${probedModules(tool)
          .map(([m, v]) => `${m}@${v}`)
          .join(", ")}`,
      );
      fs.mkdirSync(srcDir, { recursive: true });
      const downloads: ModuleDownload[] = [];
      for (const [module, version] of probedModules(tool)) downloads.push(await probe(pins, module, version, dir));
      const pinned = downloads[0];
      const pinnedGoMod = fs.readFileSync(pinned.GoMod ?? "", "utf8");

      say(name, `wrapper module ${srcDir}`);
      const goVersion = goDirective(pinnedGoMod) ?? "1.22";
      writeFile(path.join(srcDir, "go.mod"), wrapperGoMod(name, tool, goVersion, stagingModules(pinnedGoMod)));
      if (tool.main) {
        writeFile(path.join(srcDir, "main.go"), fs.readFileSync(path.join(__dirname, tool.main.source)));
        for (const embed of tool.main.embed ?? []) {
          writeFile(path.join(srcDir, embed.file), embedContent(fs.readFileSync(path.join(pinned.Dir ?? "", embed.from), "utf8"), embed));
        }
      }

      for (const binary of tool.binaries) {
        const output = path.join(dir, "bin", binary.name);
        const partial = `${output}.partial`;
        say(name, `go build ${binary.package} -> bin/${binary.name}`);
        const binaryStarted = Date.now();
        const { code } = await run("go", goBuildArgs(pins, tool, binary, partial), { cwd: srcDir, env: goEnv(pins) });
        if (code !== 0) throw new Error(`${name}: go build ${binary.package} (${tool.module}@${tool.version}) exited ${code}`);
        fs.renameSync(partial, output);
        say(name, `built bin/${binary.name} in ${formatDuration(Date.now() - binaryStarted)}`);
      }
      if (sourceHash) writeFile(path.join(srcDir, stampFile), sourceHash);
    }
    const missingFiles = (tool.files ?? []).filter((f) => !fs.existsSync(path.join(dir, f.output)));
    if (missingFiles.length > 0) {
      const moduleDir = (await probe(pins, tool.module, tool.version, dir)).Dir ?? "";
      for (const file of missingFiles) {
        say(name, `write ${file.output} from ${tool.module}@${tool.version}: ${file.from.join(", ")}`);
        writeFile(
          path.join(dir, file.output),
          concatenatedYaml(file.from.map((from) => fs.readFileSync(path.join(moduleDir, from), "utf8"))),
        );
      }
    }
    if (tool.run) await runOnce(name, tool, dir, say);
    say(name, `done in ${formatDuration(Date.now() - toolStarted)}`);
  }
  const status = toolchainStatus(loaded);
  say("all", status.complete ? "complete" : `incomplete, missing ${status.missing.join(", ")}`);
  return status;
}

/** Runs a tool's first binary as its `run` says, into `<output>.partial`, renamed to `<output>` once complete. */
async function runOnce(name: string, tool: Tool, dir: string, say: (tool: string, step: string) => void): Promise<void> {
  const { output, args, produces } = tool.run!;
  const binary = path.join(dir, "bin", tool.binaries[0].name);
  const partial = path.join(dir, `${output}.partial`);
  fs.rmSync(partial, { recursive: true, force: true });
  const runArgs = args.map((arg) => arg.replace("{output}", partial));
  say(name, `run bin/${tool.binaries[0].name} ${runArgs.join(" ")}`);
  const { code } = await run(binary, runArgs, { cwd: dir });
  if (code !== 0) throw new Error(`${name}: bin/${tool.binaries[0].name} exited ${code}`);
  const missing = produces.filter((file) => !fs.existsSync(path.join(partial, file)));
  if (missing.length > 0) throw new Error(`${name}: ran, but ${output}/${missing.join(", ")} is missing`);
  fs.rmSync(path.join(dir, output), { recursive: true, force: true });
  fs.renameSync(partial, path.join(dir, output));
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--status")) {
    const status = toolchainStatus();
    console.log(JSON.stringify(status, null, 2));
    return status.complete ? 0 : 1;
  }
  os.setPriority(0, 10); // the build's go commands inherit it: tests running beside it keep their CPU
  const status = await buildToolchain();
  return status.complete ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`[toolchain] error: ${error.message}`);
      process.exit(1);
    },
  );
}
