/**
 * The Kubernetes minor versions EKS and AKS offer in standard support, as the clouds' own pages
 * listed them in September 2026. A cluster on any other version would fail at `pulumi up`, or run on
 * extended support at extra cost, so config refuses it before anything is created.
 *
 * This list ages: a version leaves standard support on a date, and a new one arrives every four
 * months or so. When a cloud adds or retires a version, update the list and its date together.
 *
 * - EKS, from the Amazon EKS release calendar ("Understand the Kubernetes version lifecycle on EKS",
 *   docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html) and its release notes for the
 *   versions on standard support: 1.34 until 2026-12-02, 1.35 until 2027-03-27, and 1.36, on EKS since
 *   June 2026, for 14 months from then. 1.33 left standard support on 2026-07-29.
 * - AKS, from the AKS release notes of 2026-09-04 (github.com/Azure/AKS/releases): patch versions of
 *   1.34, 1.35 and 1.36 generally available, 1.37 in preview. AKS supports three minors (N-2) outside
 *   its long-term support, which needs the Premium tier and is left out here.
 */

/** When the lists below were read. */
export const kubernetesVersionsAsOf = "September 2026";

/** The minor versions each cloud offers in standard support, oldest first. */
export const standardSupportVersions: Readonly<Record<"aws" | "azure", readonly string[]>> = {
  aws: ["1.34", "1.35", "1.36"],
  azure: ["1.34", "1.35", "1.36"],
};
