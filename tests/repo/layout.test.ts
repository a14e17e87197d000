import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { execSync } from "node:child_process";
import * as path from "node:path";
import { resolveImport, unusedExports } from "../support/exports";
import { repoRoot } from "../support/stackFiles";

/** Every component class under components/<part>/, with the type token it registers. */
function components(): { part: string; file: string; name: string; token: string }[] {
  const root = path.join(repoRoot, "components");
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((dir) =>
      fs
        .readdirSync(path.join(root, dir.name))
        .filter((file) => file.endsWith(".ts"))
        .flatMap((file) => {
          const source = fs.readFileSync(path.join(root, dir.name, file), "utf8");
          return [...source.matchAll(/export class (\w+) extends pulumi\.ComponentResource[\s\S]*?super\("([^"]+)"/g)].map(
            ([, name, token]) => ({ part: dir.name, file: `${dir.name}/${file}`, name: name!, token: token! }),
          );
        }),
    );
}

describe("layout: the tree, the type tokens and the README agree", () => {
  const found = components();
  const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const architecture = readme.slice(readme.indexOf("## Architecture"), readme.indexOf("## Prerequisites"));

  it("finds the components", () => {
    assert.ok(found.length >= 10, found.map((c) => c.name).join(", "));
  });

  it("gives every component the type token burstmesh:<its folder>:<its class>", () => {
    for (const component of found) assert.equal(component.token, `burstmesh:${component.part}:${component.name}`, component.file);
  });

  it("names every component and its folder in the README's architecture section", () => {
    for (const component of found) {
      assert.ok(architecture.includes(`\`${component.name}\``), `README architecture names ${component.name}`);
      assert.ok(architecture.includes(`\`${component.part}/\``), `README architecture names the folder ${component.part}/`);
    }
  });

  it("points nowhere outside the repository: no code, comment or doc cites a file that is not in it", () => {
    // Besides the tests (which may read ../shared), only git-ignored folders that tools fill: the mutation
    // run's sandboxes and reports, the locally installed Pulumi CLI and the local state backend.
    const skipped = new Set(["node_modules", ".git", "tests", ".stryker-tmp", "reports", ".pulumi-cli", ".pulumi-state"]);
    const walk = (dir: string): string[] =>
      fs.readdirSync(path.join(repoRoot, dir), { withFileTypes: true }).flatMap((entry) => {
        const relative = path.join(dir, entry.name);
        if (entry.isDirectory()) return skipped.has(entry.name) ? [] : walk(relative);
        return /\.(ts|md|ya?ml|sh|json|mjs)$/.test(entry.name) && entry.name !== "package-lock.json" ? [relative] : [];
      });
    const files = walk(".");
    assert.ok(files.length > 30, `${files.length} files read`);
    for (const file of files) {
      // A character class in the name, so that this pattern does not itself match a plain search for the name.
      assert.doesNotMatch(fs.readFileSync(path.join(repoRoot, file), "utf8"), /D[E]SIGN(\.md| §)|\.\.\/shared/, file);
    }
  });
});

/**
 * The layers, bottom first. A part may import the parts of lower layers, never one of its own layer
 * or above, so no two parts import each other in a circle. The orchestrator, the scripts, the policy
 * pack, the rehearsal and the lab stand apart: nothing in the program imports them.
 */
const layers: readonly (readonly string[])[] = [
  ["model"],
  ["config"],
  ["components/charts"],
  ["components"],
  ["components/kube"],
  ["components/trust", "components/clusters", "components/mesh"],
  ["components/traffic", "components/observability"],
  ["index.ts"],
];
const apart: Record<string, readonly string[]> = {
  orchestrator: ["config", "model", "doctor"],
  policy: [],
  scripts: [...layers.slice(0, -1).flat(), "rehearsal"],
  doctor: ["config", "model"],
  rehearsal: ["config", "model", "orchestrator", "doctor"],
  lab: ["config", "model", "components/traffic", "rehearsal"],
};

/** The part a file belongs to: its folder under components/, its top folder elsewhere, the file itself at the root. */
function partOf(file: string): string {
  const dir = path.dirname(file);
  if (dir === ".") return file;
  return dir === "components" || dir.startsWith("components/") ? dir.split("/").slice(0, 2).join("/") : dir.split("/")[0]!;
}

/** Every file git knows in the work tree (tracked, or new and not ignored), as a repository path. */
const workTreeFiles = execSync("git ls-files -co --exclude-standard", { cwd: repoRoot, encoding: "utf8" })
  .split("\n")
  .filter((file) => file !== "" && fs.existsSync(path.join(repoRoot, file)));

/** Every import of the program's own files (tests aside); `target` is the repository path of a relative one, else "". */
function programImports(): { file: string; target: string; specifier: string }[] {
  return workTreeFiles
    .filter((file) => file.endsWith(".ts") && !file.startsWith("tests/"))
    .flatMap((file) =>
      [...fs.readFileSync(path.join(repoRoot, file), "utf8").matchAll(/(?:\bfrom|\bimport\(?|\brequire\()\s*"([^"]+)"/g)].map(
        ([, specifier]) => ({ file, target: resolveImport(repoRoot, file, specifier!) ?? "", specifier: specifier! }),
      ),
    );
}

describe("layout: layers import downward only", () => {
  const imports = programImports();
  const rank = new Map(layers.flatMap((parts, index) => parts.map((part) => [part, index] as const)));

  it("knows the part of every file of the program", () => {
    const unknown = [...new Set(imports.map(({ file }) => partOf(file)))].filter((part) => !rank.has(part) && !(part in apart));
    assert.deepEqual(unknown, [], "every folder is in a layer or stands apart");
  });

  it("has every part import only parts of lower layers (the orchestrator, scripts, pack and rehearsal what they may)", () => {
    const wrong = imports.flatMap(({ file, target }) => {
      if (target === "") return [];
      const [from, to] = [partOf(file), partOf(target)];
      if (from === to) return [];
      const ok = from in apart ? apart[from]!.includes(to) : (rank.get(to) ?? Infinity) < rank.get(from)!;
      return ok ? [] : [`${file} imports ${target} (${from} -> ${to})`];
    });
    assert.deepEqual(wrong, []);
  });

  it("keeps model/ pure: no Pulumi, no config, nothing but itself and Node's built-ins", () => {
    const impure = imports.filter(
      ({ file, target, specifier }) => partOf(file) === "model" && !(target.startsWith("model/") || specifier.startsWith("node:")),
    );
    assert.deepEqual(
      impure.map(({ file, specifier }) => `${file}: ${specifier}`),
      [],
    );
  });

  it("imports nothing into model/units.ts, which the config, the components and the model all read units with", () => {
    assert.deepEqual(
      imports.filter(({ file }) => file === "model/units.ts"),
      [],
    );
  });
});

describe("layout: what the comments cite exists", () => {
  /** Headings of a Markdown file, without their #s. */
  const headings = (file: string) =>
    fs
      .readFileSync(path.join(repoRoot, file), "utf8")
      .split("\n")
      .filter((line) => /^#+ /.test(line))
      .map((line) => line.replace(/^#+ /, "").toLowerCase());
  const sources = workTreeFiles.filter(
    (file) => /\.(ts|ya?ml|sh|json)$/.test(file) && !file.startsWith("tests/") && file !== "package-lock.json",
  );

  it("names only docs that exist", () => {
    const missing = sources.flatMap((file) =>
      [...fs.readFileSync(path.join(repoRoot, file), "utf8").matchAll(/\bdocs\/[\w-]+\.md/g)]
        .map(([doc]) => doc!)
        .filter((doc) => !fs.existsSync(path.join(repoRoot, doc))),
    );
    assert.deepEqual(missing, []);
  });

  it("names only files and folders of the repository that exist, in code, docs and the README", () => {
    const cited = [...sources, ...workTreeFiles.filter((file) => file.endsWith(".md"))].flatMap((file) =>
      [
        ...fs
          .readFileSync(path.join(repoRoot, file), "utf8")
          .matchAll(/`((?:tests|components|config|model|orchestrator|policy|rehearsal|scripts)\/[\w./-]*)`/g),
      ]
        .map(([, cited]) => cited!)
        .filter((cited) => !cited.includes("<") && !/[*]/.test(cited))
        .map((cited) => ({ file, cited })),
    );
    assert.ok(cited.length >= 20, `${cited.length} paths found`);
    assert.deepEqual(
      cited.filter(({ cited }) => !fs.existsSync(path.join(repoRoot, cited))).map(({ file, cited }) => `${file}: ${cited}`),
      [],
    );
  });

  it('names only sections that exist, cited as (README, "Section") or (docs/<page>.md, "Section")', () => {
    const citations = sources.flatMap((file) =>
      [...fs.readFileSync(path.join(repoRoot, file), "utf8").matchAll(/\b(README|docs\/[\w-]+\.md), \\?"([^"\\]+)\\?"/g)].map(
        ([, doc, section]) => ({ file, doc: doc === "README" ? "README.md" : doc!, section: section! }),
      ),
    );
    assert.ok(citations.length >= 8, `${citations.length} citations found`);
    const dangling = citations.filter(({ doc, section }) => !headings(doc).some((heading) => heading.startsWith(section.toLowerCase())));
    assert.deepEqual(
      dangling.map(({ file, doc, section }) => `${file}: ${doc}, "${section}"`),
      [],
    );
  });

  it("cites sections in that one form", () => {
    const loose = sources.flatMap((file) =>
      [...fs.readFileSync(path.join(repoRoot, file), "utf8").matchAll(/\(see README, [^"\\]|\(README, [^"\\]|\(README,\s*$/gm)].map(
        ([text]) => `${file}: ${text}`,
      ),
    );
    assert.deepEqual(loose, []);
  });
});

describe("layout: no export goes unused", () => {
  it("has every export imported by another file (tests included), but a component's own <Component>Args", () => {
    const files = workTreeFiles.filter((file) => file.endsWith(".ts"));
    // Run by a tool rather than imported: the tests, the CLIs and scripts, the policy pack's entry.
    const entryPoints = files.filter(
      (file) =>
        file.endsWith(".test.ts") ||
        /^(scripts|rehearsal)\//.test(file) ||
        ["orchestrator/cli.ts", "policy/index.ts", "lab/cli.ts", "lab/app.ts"].includes(file),
    );
    const componentArgs = (entry: string) => {
      const [file, name] = entry.split(": ");
      const component = /^(\w+)Args$/.exec(name!)?.[1];
      return (
        component !== undefined && new RegExp(`export class ${component}\\b`).test(fs.readFileSync(path.join(repoRoot, file!), "utf8"))
      );
    };
    assert.deepEqual(
      unusedExports(repoRoot, files, entryPoints).filter((entry) => !componentArgs(entry)),
      [],
    );
  });
});
