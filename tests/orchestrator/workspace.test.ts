import { strict as assert } from "node:assert";
import { conciseError } from "../../orchestrator/workspace";

describe("automation adapter", () => {
  it("reduces a Pulumi command error to the tail of its stderr (the output was already streamed)", () => {
    const commandError = Object.assign(new Error("code: 255\n stdout: <whole update log>\n stderr: ..."), {
      name: "CommandError",
      commandResult: {
        code: 255,
        stdout: "Updating (eks)\n".repeat(50),
        stderr: "\nerror: update failed\n  creating EKS Cluster: AccessDenied\n",
      },
    });
    const concise = conciseError(commandError);
    assert.equal(concise.message, "error: update failed\n  creating EKS Cluster: AccessDenied");
    assert.equal(concise.name, "CommandError");
    const plainError = new Error("spawn pulumi ENOENT");
    assert.equal(conciseError(plainError), plainError);
  });
});
