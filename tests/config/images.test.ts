import { strict as assert } from "node:assert";
import { fortioImage, podinfoImage } from "../../config/images";

describe("config/images: the pinned container images", () => {
  it("pins podinfo and fortio to an exact version", () => {
    assert.match(podinfoImage, /^ghcr\.io\/stefanprodan\/podinfo:\d+\.\d+\.\d+$/);
    assert.match(fortioImage, /^fortio\/fortio:\d+\.\d+\.\d+$/);
  });
});
