import { strict as assert } from "node:assert";
import { loadConfig } from "../config";
import { stackFileConfig } from "./support/stackFiles";

describe("config", () => {
  it("reads every stack file with the Pulumi.yaml defaults applied", () => {
    const eks = loadConfig(stackFileConfig("eks"));
    assert.equal(eks.role, "cluster");
    assert.equal(eks.mesh.istioVersion, "1.30.3");
  });
});
