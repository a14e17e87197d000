import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readProjectFile } from "../../config";
import { pathSuffix } from "../../config/issues";

describe("config: Pulumi.yaml and config paths", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-project-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);

  it("reads the name, every declared value by full key, and the pinned backend", () => {
    write(
      "Pulumi.yml",
      [
        "name: mesh",
        "backend:",
        "  url: file://~/state",
        "config:",
        "  members:",
        "    default: [a, b]",
        "  meshId:",
        "    value: m1",
        "  aws:region: eu-west-1",
        "  trustStack:",
        "    type: string",
        "  rootCertValidityHours:",
        "    default: 0",
        "",
      ].join("\n"),
    );
    assert.deepEqual(readProjectFile(dir), {
      name: "mesh",
      defaults: { "mesh:members": ["a", "b"], "mesh:meshId": "m1", "aws:region": "eu-west-1", "mesh:rootCertValidityHours": 0 },
      backendUrl: "file://~/state",
    });
  });

  it("a project without config or backend has no defaults and no backend URL", () => {
    write("Pulumi.yaml", "name: mesh\nbackend: {}\n");
    assert.deepEqual(readProjectFile(dir), { name: "mesh", defaults: {} });
    write("Pulumi.yaml", "name: mesh\nconfig:\nbackend:\n  url: 5\n");
    assert.deepEqual(readProjectFile(dir), { name: "mesh", defaults: {} });
    write("Pulumi.yaml", "name: mesh\nconfig: [a]\nbackend: [file://x]\n");
    assert.deepEqual(readProjectFile(dir), { name: "mesh", defaults: {} });
  });

  it("says what is wrong with a missing, unreadable or nameless Pulumi.yaml", () => {
    assert.throws(() => readProjectFile(dir), { message: `no Pulumi.yaml in ${dir}` });
    write("Pulumi.yaml", "name: [mesh");
    assert.throws(() => readProjectFile(dir), { message: /^cannot read Pulumi\.yaml: / });
    write("Pulumi.yaml", "");
    assert.throws(() => readProjectFile(dir), { message: "Pulumi.yaml has no project name" });
    write("Pulumi.yaml", 'name: ""\n');
    assert.throws(() => readProjectFile(dir), { message: "Pulumi.yaml has no project name" });
  });

  it("writes a path into a config value as users write it", () => {
    assert.equal(pathSuffix(["nodePool", "desiredCount"]), ".nodePool.desiredCount");
    assert.equal(pathSuffix([0, "clusters", "1", "a1", "12", "1a"]), "[0].clusters[1].a1[12].1a");
    assert.equal(pathSuffix([]), "");
  });
});
