/** The container images burstmesh runs, each pinned to one exact tag. */

/** podinfo, the demo service: answers `GET /` with JSON whose `message` is PODINFO_UI_MESSAGE. */
export const podinfoImage = "ghcr.io/stefanprodan/podinfo:6.14.1";
/** fortio, the load generator of the drill (a `FROM scratch` image: the binary and nothing else). */
export const fortioImage = "fortio/fortio:1.75.2";
