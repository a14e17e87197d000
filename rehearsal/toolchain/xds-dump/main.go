// Command xds-dump connects to istiod as one sidecar proxy, takes the configuration istiod pushes to it
// (clusters, listeners, routes and endpoints) through Istio's own xDS client (istio.io/istio/pkg/adsc),
// and writes it as Envoy's admin API writes /config_dump?include_eds: one envoy.admin.v3.ConfigDump in
// JSON. A file from this program and a dump taken from a live sidecar read the same way.
//
// istiod identifies the proxy by its IP and its node metadata, as it would a real sidecar: the IP of
// a pod makes it that pod's sidecar (with the pod's inbound listeners and clusters); an IP of no pod
// gives a client with outbound configuration only. It uses istiod's plaintext port, which a local
// rehearsal istiod serves; no certificate is needed there.
//
// Usage: xds-dump -xds HOST:15010 -ip IP -namespace NS -workload NAME -cluster ID -network NET
//
//	[-labels k=v,k=v] [-service-account SA] [-istio-version 1.30.4] [-timeout 30s] -out FILE
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pkg/adsc"

	// Every Envoy extension type istiod may put inside the configuration, so that JSON can name them.
	_ "istio.io/istio/pkg/config/xds"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "xds-dump: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	address := flag.String("xds", "", "istiod's plaintext xDS address, HOST:15010")
	ip := flag.String("ip", "", "the proxy's IP: a pod's makes it that pod's sidecar")
	namespace := flag.String("namespace", "", "the proxy's namespace")
	workload := flag.String("workload", "", "the proxy's pod name")
	clusterID := flag.String("cluster", "", "the member the proxy runs in (istiod's CLUSTER_ID)")
	network := flag.String("network", "", "the proxy's network")
	labels := flag.String("labels", "", "the pod's labels, k=v,k=v")
	serviceAccount := flag.String("service-account", "default", "the pod's service account")
	istioVersion := flag.String("istio-version", "", "the proxy's Istio version")
	timeout := flag.Duration("timeout", 30*time.Second, "how long to wait for every type of configuration")
	out := flag.String("out", "", "the JSON file to write")
	flag.Parse()
	for name, value := range map[string]string{"xds": *address, "ip": *ip, "namespace": *namespace, "workload": *workload,
		"cluster": *clusterID, "network": *network, "istio-version": *istioVersion, "out": *out} {
		if value == "" {
			return fmt.Errorf("-%s is required", name)
		}
	}

	podLabels := map[string]any{}
	if *labels != "" {
		for _, pair := range strings.Split(*labels, ",") {
			key, value, ok := strings.Cut(pair, "=")
			if !ok {
				return fmt.Errorf("-labels: %q is not k=v", pair)
			}
			podLabels[key] = value
		}
	}
	// The metadata a sidecar's pilot-agent sends (ISTIO_META_*), as far as istiod reads it to build config.
	meta, err := structpb.NewStruct(map[string]any{
		"CLUSTER_ID":        *clusterID,
		"NETWORK":           *network,
		"NAMESPACE":         *namespace,
		"LABELS":            podLabels,
		"SERVICE_ACCOUNT":   *serviceAccount,
		"WORKLOAD_NAME":     *workload,
		"ISTIO_VERSION":     *istioVersion,
		"INTERCEPTION_MODE": "REDIRECT",
	})
	if err != nil {
		return err
	}

	client, err := adsc.New(*address, &adsc.ADSConfig{
		Config: adsc.Config{
			ClientName: "xds-dump",
			Namespace:  *namespace,
			Workload:   *workload,
			IP:         *ip,
			Meta:       meta,
		},
		// Clusters and listeners; the client asks for their endpoints and routes as they arrive.
		InitialDiscoveryRequests: []*discovery.DiscoveryRequest{{TypeUrl: v3.ClusterType}, {TypeUrl: v3.ListenerType}},
	})
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", *address, err)
	}
	defer client.Close()
	if err := client.Run(); err != nil {
		return err
	}
	if _, err := client.Wait(*timeout, v3.ClusterType, v3.ListenerType, v3.EndpointType, v3.RouteType); err != nil {
		return err
	}

	dump, err := configDump(client.Received)
	if err != nil {
		return err
	}
	text, err := protojson.MarshalOptions{Multiline: true, Indent: "  ", UseProtoNames: true}.Marshal(dump)
	if err != nil {
		return err
	}
	return os.WriteFile(*out, append(text, '\n'), 0o644)
}

// configDump arranges the last response of each type the way Envoy's /config_dump?include_eds does.
func configDump(received map[string]*discovery.DiscoveryResponse) (*adminv3.ConfigDump, error) {
	clusters := &adminv3.ClustersConfigDump{VersionInfo: received[v3.ClusterType].GetVersionInfo()}
	listeners := &adminv3.ListenersConfigDump{VersionInfo: received[v3.ListenerType].GetVersionInfo()}
	routes := &adminv3.RoutesConfigDump{}
	endpoints := &adminv3.EndpointsConfigDump{}
	for _, resource := range sorted(received[v3.ClusterType]) {
		clusters.DynamicActiveClusters = append(clusters.DynamicActiveClusters,
			&adminv3.ClustersConfigDump_DynamicCluster{VersionInfo: clusters.VersionInfo, Cluster: resource})
	}
	for _, resource := range sorted(received[v3.ListenerType]) {
		listeners.DynamicListeners = append(listeners.DynamicListeners, &adminv3.ListenersConfigDump_DynamicListener{
			ActiveState: &adminv3.ListenersConfigDump_DynamicListenerState{VersionInfo: listeners.VersionInfo, Listener: resource},
		})
	}
	for _, resource := range sorted(received[v3.RouteType]) {
		routes.DynamicRouteConfigs = append(routes.DynamicRouteConfigs,
			&adminv3.RoutesConfigDump_DynamicRouteConfig{VersionInfo: received[v3.RouteType].GetVersionInfo(), RouteConfig: resource})
	}
	for _, resource := range sorted(received[v3.EndpointType]) {
		endpoints.DynamicEndpointConfigs = append(endpoints.DynamicEndpointConfigs,
			&adminv3.EndpointsConfigDump_DynamicEndpointConfig{VersionInfo: received[v3.EndpointType].GetVersionInfo(), EndpointConfig: resource})
	}
	dump := &adminv3.ConfigDump{}
	for _, part := range []proto.Message{clusters, listeners, routes, endpoints} {
		packed, err := anypb.New(part)
		if err != nil {
			return nil, err
		}
		dump.Configs = append(dump.Configs, packed)
	}
	return dump, nil
}

// sorted gives a response's resources in a stable order, by name, so that two dumps of the same
// configuration are the same file.
func sorted(response *discovery.DiscoveryResponse) []*anypb.Any {
	resources := append([]*anypb.Any(nil), response.GetResources()...)
	sort.SliceStable(resources, func(i, j int) bool { return name(resources[i]) < name(resources[j]) })
	return resources
}

// name is the resource's own name field (every xDS resource has one), read without knowing its type.
func name(resource *anypb.Any) string {
	message, err := resource.UnmarshalNew()
	if err != nil {
		return ""
	}
	field := message.ProtoReflect().Descriptor().Fields().ByName("name")
	if field == nil {
		field = message.ProtoReflect().Descriptor().Fields().ByName("cluster_name")
	}
	if field == nil {
		return ""
	}
	return message.ProtoReflect().Get(field).String()
}
