import * as pulumi from "@pulumi/pulumi";

/**
 * Runs a pure builder on values a component received (another stack's outputs, a cloud's answer)
 * and turns the builder's error into a `pulumi.ResourceError` with the component as its resource:
 * the engine then reports the message against that component, without a stack trace. Config
 * mistakes never get this far; `config/` rejects them before any resource exists.
 */
export function checkedFor<T>(component: pulumi.Resource, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (pulumi.ResourceError.isInstance(error) || !(error instanceof Error)) throw error;
    throw new pulumi.ResourceError(error.message, component, true);
  }
}
