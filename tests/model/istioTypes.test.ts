/**
 * The hand-written Istio models (model/istioTypes.ts) against the types that
 * @kubernetes-models/istio generates from Istio's CRDs: every field burstmesh writes must exist there,
 * with a compatible type. A CRD's schema does not forbid unknown fields (the API server prunes them
 * silently), so this compile-time check is what catches a misspelt or misplaced field. It fails the
 * type check (`tsc` in npm test); the test below shows the check can fail.
 */
import { strict as assert } from "node:assert";
import type { IDestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule";
import type { IGateway } from "@kubernetes-models/istio/networking.istio.io/v1/Gateway";
import type { ISidecar } from "@kubernetes-models/istio/networking.istio.io/v1/Sidecar";
import type { IVirtualService } from "@kubernetes-models/istio/networking.istio.io/v1/VirtualService";
import type { IPeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication";
import type { DestinationRuleSpec, GatewaySpec, PeerAuthenticationSpec, SidecarSpec, VirtualServiceSpec } from "../../model/istioTypes";

/** `Mine` with every field that `Theirs` does not have turned into `never`, recursively. */
type KnownFields<Mine, Theirs> = Mine extends readonly (infer Item)[]
  ? KnownFields<Item, NonNullable<Theirs> extends readonly (infer TheirItem)[] ? TheirItem : never>[]
  : Mine extends object
    ? { [K in keyof Mine]: K extends keyof NonNullable<Theirs> ? KnownFields<Mine[K], NonNullable<NonNullable<Theirs>[K]>> : never }
    : Mine;

/** true when every field of `Mine` exists in `Theirs` and has a type `Theirs` accepts. */
type Conforms<Mine, Theirs> = [Mine] extends [KnownFields<Mine, Theirs>] ? ([Mine] extends [NonNullable<Theirs>] ? true : false) : false;

const conforms = {
  DestinationRule: true satisfies Conforms<DestinationRuleSpec, IDestinationRule["spec"]>,
  VirtualService: true satisfies Conforms<VirtualServiceSpec, IVirtualService["spec"]>,
  Sidecar: true satisfies Conforms<SidecarSpec, ISidecar["spec"]>,
  Gateway: true satisfies Conforms<GatewaySpec, IGateway["spec"]>,
  PeerAuthentication: true satisfies Conforms<PeerAuthenticationSpec, IPeerAuthentication["spec"]>,
};

describe("Istio models: the hand-written types against @kubernetes-models/istio's", () => {
  it("every spec type burstmesh writes uses only Istio's field names, with Istio's types", () => {
    assert.deepEqual(Object.keys(conforms).sort(), ["DestinationRule", "Gateway", "PeerAuthentication", "Sidecar", "VirtualService"]);
  });

  it("the check tells a misspelt or misplaced field from a known one (so the check above can fail)", () => {
    type Retry = NonNullable<NonNullable<NonNullable<IVirtualService["spec"]>["http"]>[number]["retries"]>;
    const known: Conforms<{ attempts: number; retryRemoteLocalities: boolean }, Retry> = true;
    const misspelt: Conforms<{ attempts: number; retryRemoteLocality: boolean }, Retry> = false;
    const misplaced: Conforms<{ trafficPolicy: { maxEjectionPercent: number } }, IDestinationRule["spec"]> = false;
    const wrongType: Conforms<{ attempts: string }, Retry> = false;
    assert.deepEqual([known, misspelt, misplaced, wrongType], [true, false, false, false]);
  });
});
