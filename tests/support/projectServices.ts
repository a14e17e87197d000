import { parseProjectServices, projectDefaults, type ServiceSettings } from "../../config";

/** Pulumi.yaml's members and services, parsed as `npm run overflow` and `npm run lab` parse them; throws on a bad declaration. */
export function projectServices(): { members: string[]; services: ServiceSettings[] } {
  const { members, parsed } = parseProjectServices(projectDefaults());
  if (!parsed.ok) throw new Error(parsed.issues.join("\n"));
  return { members, services: parsed.services };
}
