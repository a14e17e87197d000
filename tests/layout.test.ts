import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "./support/stackFiles";

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
