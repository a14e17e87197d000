import { strict as assert } from "node:assert";
import { LayoutError } from "../../orchestrator/discovery";
import { providePassphrase } from "../../orchestrator/passphrase";

describe("the passphrase", () => {
  const PASSPHRASE = "typed-passphrase-never-printed";
  const asker = (...answers: string[]) => {
    const prompts: string[] = [];
    return {
      prompts,
      ask: async (prompt: string) => (prompts.push(prompt), answers.shift() ?? assert.fail(`unexpected prompt: ${prompt}`)),
    };
  };

  it("is not asked for when the backend does not use one, or the environment has it", async () => {
    const { prompts, ask } = asker();
    assert.deepEqual(await providePassphrase({ env: {}, passphraseByDefault: false, askHidden: ask }), {});
    assert.deepEqual(
      await providePassphrase({ env: {}, recordedProvider: "awskms://alias/x", passphraseByDefault: true, askHidden: ask }),
      {},
    );
    for (const env of [{ PULUMI_CONFIG_PASSPHRASE: "p" }, { PULUMI_CONFIG_PASSPHRASE_FILE: "/p" }]) {
      assert.deepEqual(await providePassphrase({ env, recordedProvider: "passphrase", passphraseByDefault: false, askHidden: ask }), {});
    }
    assert.deepEqual(prompts, []);
  });

  it("is asked once for existing stacks and handed to the CLI", async () => {
    const { prompts, ask } = asker(PASSPHRASE);
    const env = await providePassphrase({ env: {}, recordedProvider: "passphrase", passphraseByDefault: false, askHidden: ask });
    assert.deepEqual(env, { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE });
    assert.deepEqual(prompts, ["Passphrase of the stacks' secrets (PULUMI_CONFIG_PASSPHRASE): "]);
  });

  it("is asked twice for new stacks, which must match", async () => {
    const twice = asker(PASSPHRASE, PASSPHRASE);
    assert.deepEqual(await providePassphrase({ env: {}, passphraseByDefault: true, askHidden: twice.ask }), {
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    });
    assert.match(twice.prompts[0]!, /^Choose the passphrase that encrypts every stack's secrets/);
    assert.equal(twice.prompts[1], "The same passphrase again: ");
    await assert.rejects(
      providePassphrase({ env: {}, passphraseByDefault: true, askHidden: asker(PASSPHRASE, "typo").ask }),
      /the two passphrases differ; nothing was created/,
    );
    await assert.rejects(providePassphrase({ env: {}, passphraseByDefault: true, askHidden: asker("").ask }), /no passphrase given/);
  });

  it("off a terminal, fails with the variable to set", async () => {
    for (const inputs of [{ recordedProvider: "passphrase", passphraseByDefault: false }, { passphraseByDefault: true }]) {
      await assert.rejects(
        providePassphrase({ env: {}, ...inputs }),
        (e: unknown) => e instanceof LayoutError && /passphrase secrets provider: set PULUMI_CONFIG_PASSPHRASE/.test(e.message),
      );
    }
  });
});
