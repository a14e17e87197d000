/**
 * The overflow drill (`burstmesh:drill`): a load Job in the drilled service's home cluster. Every
 * default lives here, once, next to its field.
 */
import { z } from "zod";
import { durationSeconds } from "../model/units";
import { duration, serviceName, typeNote, wholeNumber } from "./fields";
import { fortioImage, podinfoImage } from "./images";

export const drillSchema = z
  .strictObject({
    /** Run the drill Job in the service's home cluster (set per stack). */
    enabled: z.boolean(typeNote("true or false")).default(false),
    /** The service to load; defaults to the first entry of burstmesh:services. */
    service: serviceName.optional(),
    /** Total requests per second; 0 means as fast as the connections allow. */
    qps: z.number(typeNote("a number")).min(0, "must be 0 (as fast as possible) or more").default(0),
    /** Parallel connections; to overflow, more than home.maxReplicas x maxConcurrentRequests. */
    connections: wholeNumber().min(1, "must be at least 1").max(2000, "must be at most 2000").default(400),
    /** How long the load runs. */
    duration: duration
      .refine((text) => (durationSeconds(text) ?? 0) <= 3600, "must be at most 1h")
      .refine((text) => (durationSeconds(text) ?? 1) >= 1, "must be at least 1s")
      .default("60s"),
    /** fortio image that generates the load. */
    image: z.string(typeNote("an image reference")).min(1, "must name a container image").default(fortioImage),
    /** Image with a shell and curl that samples who answers and prints the report (podinfo's image is alpine + curl). */
    reporterImage: z.string(typeNote("an image reference")).min(1, "must name a container image").default(podinfoImage),
  })
  .prefault({});

/** The overflow drill, defaults applied; `service` is unset only when there are no services. */
export type DrillSettings = z.output<typeof drillSchema>;
