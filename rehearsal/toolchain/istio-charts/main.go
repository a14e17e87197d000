// Command istio-charts writes the Helm charts that istioctl embeds (istio.io/istio/manifests) as a
// Helm repository: <out>/index.yaml plus <name>-<version>.tgz for base, istiod, gateway and cni, with
// version and appVersion stamped (as Istio's release builder does) so that a loopback HTTP server can
// serve them in place of the public chart repository. The output is byte-for-byte deterministic.
//
// Usage: istio-charts -out DIR -version 1.30.4 [-hub docker.io/istio]
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"istio.io/istio/manifests"
	"sigs.k8s.io/yaml"
)

// chart is one embedded chart: its directory under charts/ and the name its Chart.yaml must declare.
type chart struct {
	dir  string
	name string
}

// charts are the four the program installs (components/mesh): `base`, `istiod`, `gateway`, `cni`.
var charts = []chart{
	{dir: "charts/base", name: "base"},
	{dir: "charts/istio-control/istio-discovery", name: "istiod"},
	{dir: "charts/gateway", name: "gateway"},
	{dir: "charts/istio-cni", name: "cni"},
}

// epoch is every file's modification time and the index's timestamps, for reproducible output.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	versionLine    = regexp.MustCompile(`(?m)^version: .*$`)
	appVersionLine = regexp.MustCompile(`(?m)^appVersion: .*$`)
	testingHubLine = regexp.MustCompile(`(?m)^(\s*)hub: registry\.istio\.io/testing\s*$`)
	latestTagLine  = regexp.MustCompile(`(?m)^(\s*)tag: latest\s*$`)
)

// stampChartYaml sets the chart's version and appVersion, as the release builder does.
func stampChartYaml(content []byte, version string) ([]byte, error) {
	if !versionLine.Match(content) || !appVersionLine.Match(content) {
		return nil, fmt.Errorf("Chart.yaml has no top-level version or appVersion line")
	}
	content = versionLine.ReplaceAll(content, []byte("version: "+version))
	return appVersionLine.ReplaceAll(content, []byte("appVersion: "+version)), nil
}

// stampValues points the default images at the release (dev builds name the testing hub and `latest`).
func stampValues(content []byte, version, hub string) []byte {
	content = testingHubLine.ReplaceAll(content, []byte("${1}hub: "+hub))
	return latestTagLine.ReplaceAll(content, []byte("${1}tag: "+version))
}

// chartFiles reads every file of the chart directory `dir` of fsys, stamped, keyed by path relative to dir.
func chartFiles(fsys fs.FS, dir, version, hub string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, dir+"/")
		switch rel {
		case "Chart.yaml":
			if content, err = stampChartYaml(content, version); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		case "values.yaml":
			content = stampValues(content, version, hub)
		}
		files[rel] = content
		return nil
	})
	return files, err
}

// archive is the gzipped tar of files under the top directory `name/`, entries sorted, times fixed.
func archive(name string, files map[string][]byte) ([]byte, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	for _, p := range paths {
		header := &tar.Header{Name: path.Join(name, p), Mode: 0o644, Size: int64(len(files[p])), ModTime: epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(header); err != nil {
			return nil, err
		}
		if _, err := tw.Write(files[p]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// indexEntry is the chart's metadata (its Chart.yaml) plus where the archive is and its digest.
func indexEntry(chartYaml []byte, file string, tgz []byte) (map[string]any, error) {
	entry := map[string]any{}
	if err := yaml.Unmarshal(chartYaml, &entry); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(tgz)
	entry["urls"] = []string{file}
	entry["digest"] = hex.EncodeToString(sum[:])
	entry["created"] = epoch.Format(time.RFC3339)
	return entry, nil
}

func run(out, version, hub string) error {
	fsys := manifests.BuiltinOrDir("")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	entries := map[string][]map[string]any{}
	for _, c := range charts {
		files, err := chartFiles(fsys, c.dir, version, hub)
		if err != nil {
			return err
		}
		meta := struct {
			Name string `json:"name"`
		}{}
		if err := yaml.Unmarshal(files["Chart.yaml"], &meta); err != nil {
			return fmt.Errorf("%s/Chart.yaml: %w", c.dir, err)
		}
		if meta.Name != c.name {
			return fmt.Errorf("%s/Chart.yaml names chart %q, want %q", c.dir, meta.Name, c.name)
		}
		tgz, err := archive(c.name, files)
		if err != nil {
			return err
		}
		file := fmt.Sprintf("%s-%s.tgz", c.name, version)
		if err := os.WriteFile(filepath.Join(out, file), tgz, 0o644); err != nil {
			return err
		}
		entry, err := indexEntry(files["Chart.yaml"], file, tgz)
		if err != nil {
			return err
		}
		entries[c.name] = []map[string]any{entry}
		fmt.Printf("%s\t%d files\t%s\n", file, len(files), entry["digest"])
	}
	index, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "entries": entries, "generated": epoch.Format(time.RFC3339)})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "index.yaml"), index, 0o644)
}

func main() {
	out := flag.String("out", "", "directory to write index.yaml and the chart archives into")
	version := flag.String("version", "", "chart version and appVersion to stamp, e.g. 1.30.4")
	hub := flag.String("hub", "docker.io/istio", "image hub to stamp in place of the testing hub")
	flag.Parse()
	if *out == "" || *version == "" {
		fmt.Fprintln(os.Stderr, "usage: istio-charts -out DIR -version X.Y.Z [-hub HUB]")
		os.Exit(2)
	}
	if err := run(*out, *version, *hub); err != nil {
		fmt.Fprintln(os.Stderr, "istio-charts:", err)
		os.Exit(1)
	}
}
