/** Every command of `npm run mesh`, in the order USAGE lists them. */
import type { MeshCommand } from "./command";
import { addMemberCommand } from "./addMember";
import { destroyCommand } from "./destroy";
import { doctorCommand } from "./doctor";
import { previewCommand } from "./preview";
import { removeMemberCommand } from "./removeMember";
import { rotateIntermediateCommand } from "./rotateIntermediate";
import { rotateRootCommand } from "./rotateRoot";
import { statusCommand } from "./status";
import { upCommand } from "./up";
import { upgradeCommand } from "./upgrade";
import { validateCommand } from "./validate";

export const COMMANDS: readonly MeshCommand[] = [
  validateCommand,
  upCommand,
  previewCommand,
  destroyCommand,
  statusCommand,
  doctorCommand,
  rotateRootCommand,
  rotateIntermediateCommand,
  addMemberCommand,
  removeMemberCommand,
  upgradeCommand,
];
