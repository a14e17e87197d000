/**
 * The passphrase of the passphrase secrets provider. Every stack must use the same one (StackReference
 * cannot decrypt a peer's secret outputs otherwise). From the environment when set; else asked once
 * on a terminal, with hidden input, and handed to the Pulumi CLI through the workspace's environment.
 * Never printed.
 */
import { LayoutError } from "./discovery";

interface PassphraseInputs {
  env: Readonly<Record<string, string | undefined>>;
  /** The secrets provider the stack files record, undefined when none records one yet. */
  recordedProvider?: string;
  /** Whether stacks the backend creates use a passphrase when no provider is recorded. */
  passphraseByDefault: boolean;
  /** Reads a line without echoing it; undefined when there is no terminal to ask on. */
  askHidden?(prompt: string): Promise<string>;
}

/** Variables to add to the Pulumi CLI's environment: the passphrase when it had to be asked for, else none. */
export async function providePassphrase({
  env,
  recordedProvider,
  passphraseByDefault,
  askHidden,
}: PassphraseInputs): Promise<Record<string, string>> {
  const needed = recordedProvider === "passphrase" || (recordedProvider === undefined && passphraseByDefault);
  if (!needed || env.PULUMI_CONFIG_PASSPHRASE || env.PULUMI_CONFIG_PASSPHRASE_FILE) return {};
  if (!askHidden) {
    throw new LayoutError(
      "the stacks use the passphrase secrets provider: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) " +
        "in the environment, the same passphrase for every stack",
    );
  }
  const fresh = recordedProvider === undefined;
  const passphrase = await askHidden(
    fresh
      ? "Choose the passphrase that encrypts every stack's secrets (PULUMI_CONFIG_PASSPHRASE; keep it, every later run needs it): "
      : "Passphrase of the stacks' secrets (PULUMI_CONFIG_PASSPHRASE): ",
  );
  if (passphrase === "") throw new LayoutError("no passphrase given; set PULUMI_CONFIG_PASSPHRASE or type one");
  if (fresh && (await askHidden("The same passphrase again: ")) !== passphrase) {
    throw new LayoutError("the two passphrases differ; nothing was created");
  }
  return { PULUMI_CONFIG_PASSPHRASE: passphrase };
}
