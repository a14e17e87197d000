import { strict as assert } from "node:assert";
import { PassThrough } from "node:stream";
import { CancelledError, readHidden, TerminalInput } from "../../orchestrator/terminal";

describe("hidden input on a terminal", () => {
  function terminal(): { input: TerminalInput & PassThrough; output: PassThrough; written: () => string; rawModes: boolean[] } {
    const rawModes: boolean[] = [];
    const input = Object.assign(new PassThrough(), {
      isRaw: false,
      setRawMode(raw: boolean) {
        rawModes.push(raw);
        input.isRaw = raw;
        return input;
      },
    });
    const output = new PassThrough();
    const chunks: string[] = [];
    output.on("data", (c: Buffer) => chunks.push(c.toString()));
    return { input, output, written: () => chunks.join(""), rawModes };
  }

  it("echoes nothing, edits with backspace, ignores cursor keys and restores the terminal", async () => {
    const t = terminal();
    const answer = readHidden("Passphrase: ", t.input, t.output);
    t.input.write("sec");
    t.input.write("x\u007f\u001b[Dre");
    t.input.write("t\r");
    assert.equal(await answer, "secret");
    assert.equal(t.written(), "Passphrase: \n");
    assert.deepEqual(t.rawModes, [true, false]);
    assert.equal(t.input.listenerCount("data"), 0);
  });

  it("cancels on Ctrl-C, and on Ctrl-D at the start of the line", async () => {
    for (const keys of ["abc\u0003", "\u0004"]) {
      const t = terminal();
      const answer = readHidden("Passphrase: ", t.input, t.output);
      t.input.write(keys);
      await assert.rejects(answer, CancelledError);
      assert.deepEqual(t.rawModes, [true, false]);
    }
  });
});
