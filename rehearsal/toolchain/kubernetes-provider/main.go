// Command pulumi-resource-kubernetes is the Kubernetes provider plugin built from the pinned
// github.com/pulumi/pulumi-kubernetes/provider/v4 module. The module's own main embeds
// schema-embed.json and terraform-mapping-embed.json, which its release build generates and the
// module zip lacks; build.ts writes both next to this file (the schema stamped with the release).
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
