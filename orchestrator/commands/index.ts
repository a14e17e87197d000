/** Every command of `npm run mesh`, in the order USAGE lists them. */
import type { MeshCommand } from "./command";
import { destroyCommand } from "./destroy";
import { previewCommand } from "./preview";
import { statusCommand } from "./status";
import { upCommand } from "./up";

export const COMMANDS: readonly MeshCommand[] = [upCommand, previewCommand, destroyCommand, statusCommand];
