// Command pulumi-language-nodejs is a minimal Node.js language host for the rehearsal, our own: the
// Go module proxy does not serve Pulumi's (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3),
// so this stands in for it. It implements what `pulumi preview/up/destroy/refresh` need of a language
// host — Run, RunPlugin for policy packs (`--policy-pack`), GetPluginInfo, Handshake, and empty answers
// for the dependency queries (the engine then loads provider plugins as the program registers resources) —
// by running the @pulumi/pulumi SDK's own `cmd/run` and `cmd/run-policy-pack` entry points under node, as
// Pulumi's host does. Not supported: `pulumi new`, `pulumi install` (InstallDependencies does nothing: the
// rehearsal runs `npm ci` itself), Node.js plugins other than policy packs, debugger attachment.
//
// The engine starts it as `pulumi-language-nodejs [--logtostderr] [-v=N] [--tracing URL] ENGINE_ADDRESS`;
// it prints its gRPC port on stdout.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// version is what GetPluginInfo reports: the Pulumi release this host stands in for (set with -ldflags -X).
var version = "3.248.0"

// bailExitCode is the code the SDK's run script exits with after it has already reported the error.
const bailExitCode = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest, grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	return nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimPrefix(strings.TrimSpace(string(out)), "v")}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// sdkEntry finds @pulumi/pulumi's cmd/<entry> in the node_modules of dir or of one of its parents, where
// node resolves it from dir (the repository's policy pack has no node_modules of its own: the root's serve it).
func sdkEntry(dir, entry string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "node_modules", "@pulumi", "pulumi", "cmd", entry)
		if _, err := os.Stat(filepath.Join(candidate, "index.js")); err == nil {
			return candidate, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no node_modules/@pulumi/pulumi/cmd/%s in %s or above it: run npm ci first", entry, dir)
		}
	}
}

// option is a runtime option of Pulumi.yaml (`runtime.options`), as a string; "" when unset.
func option(options *structpb.Struct, name string) string {
	value, ok := options.GetFields()[name]
	if !ok {
		return ""
	}
	switch v := value.GetKind().(type) {
	case *structpb.Value_BoolValue:
		return strconv.FormatBool(v.BoolValue)
	case *structpb.Value_StringValue:
		return v.StringValue
	case *structpb.Value_NumberValue:
		return strconv.FormatFloat(v.NumberValue, 'f', -1, 64)
	}
	return ""
}

// nodeOptions are the node flags of the `nodeargs` runtime option (of Pulumi.yaml or PulumiPolicy.yaml).
func nodeOptions(options *structpb.Struct) []string {
	return strings.Fields(option(options, "nodeargs"))
}

// nodeArgs is the node command line that runs the program of req through the SDK's run script.
func nodeArgs(req *pulumirpc.RunRequest, script, engineAddress string) []string {
	args := append(nodeOptions(req.GetInfo().GetOptions()), script, "--monitor="+req.GetMonitorAddress(), "--project="+req.GetProject(), "--stack="+req.GetStack(), "--pwd="+req.GetPwd())
	if engineAddress != "" {
		args = append(args, "--engine="+engineAddress)
	}
	if req.GetOrganization() != "" {
		args = append(args, "--organization="+req.GetOrganization())
	}
	if root := req.GetInfo().GetRootDirectory(); root != "" {
		args = append(args, "--root-directory="+root)
	}
	if req.GetParallel() > 0 {
		args = append(args, "--parallel="+strconv.Itoa(int(req.GetParallel())))
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	program := req.GetInfo().GetEntryPoint()
	if program == "" {
		program = req.GetProgram()
	}
	if program == "" {
		program = "."
	}
	return append(append(args, program), req.GetArgs()...)
}

// configEnv is the stack configuration as the SDK's Config reads it: which keys are secret, too, so that
// their values stay secrets.
func configEnv(config map[string]string, secretKeys []string) ([]string, error) {
	// A stack without config has a nil map, which json.Marshal writes as null; the SDK needs an object.
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretsJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	return []string{"PULUMI_CONFIG=" + string(configJSON), "PULUMI_CONFIG_SECRET_KEYS=" + string(secretsJSON)}, nil
}

// runEnv is the environment of the program: the SDK reads config, secrets and TypeScript settings from it.
func runEnv(req *pulumirpc.RunRequest) ([]string, error) {
	config, err := configEnv(req.GetConfig(), req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), config...)
	typescript := option(req.GetInfo().GetOptions(), "typescript")
	if typescript == "" {
		typescript = "true"
	}
	env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+typescript)
	if tsconfig := option(req.GetInfo().GetOptions(), "tsconfig"); tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}
	return env, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd()
	}
	script, err := sdkEntry(dir, "run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	env, err := runEnv(req)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "node", nodeArgs(req, script, h.engineAddress)...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = req.GetPwd(), env, os.Stdout, os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exit) && exit.ExitCode() == bailExitCode:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exit):
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}, nil
	default:
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
}

// pluginOutput sends a plugin's output to the engine as RunPluginResponse messages. One message at a time: a
// gRPC stream's Send is not safe for concurrent use, and stdout and stderr are copied by goroutines of their own.
// Once the exit code is sent, later output (the tail of stdout still being copied) is dropped, since the engine
// has stopped reading.
type pluginOutput struct {
	mu     sync.Mutex
	server pulumirpc.LanguageRuntime_RunPluginServer
	exited bool
}

func (o *pluginOutput) send(resp *pulumirpc.RunPluginResponse) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.exited {
		return io.ErrClosedPipe
	}
	_, o.exited = resp.GetOutput().(*pulumirpc.RunPluginResponse_Exitcode)
	return o.server.Send(resp)
}

// outputStream is one of a plugin's output streams, as an io.Writer.
type outputStream func([]byte) error

func (w outputStream) Write(p []byte) (int, error) {
	if err := w(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// stackEnv is what a policy pack learns of the stack from its environment, as under Pulumi's host: the SDK's
// getStack(), getProject(), getOrganization() and Config read it. nil when the engine sent no stack (as for
// `pulumi policy publish`).
func stackEnv(stack *pulumirpc.AnalyzerStackConfigureRequest) ([]string, error) {
	if stack == nil {
		return nil, nil
	}
	env, err := configEnv(stack.GetConfig(), stack.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	env = append(env, "PULUMI_NODEJS_STACK="+stack.GetStack(), "PULUMI_NODEJS_PROJECT="+stack.GetProject(),
		"PULUMI_NODEJS_DRY_RUN="+strconv.FormatBool(stack.GetDryRun()))
	if stack.GetOrganization() != "" {
		env = append(env, "PULUMI_NODEJS_ORGANIZATION="+stack.GetOrganization())
	}
	return env, nil
}

// RunPlugin runs a policy pack: the engine passes its directory (the one with PulumiPolicy.yaml) as the program
// and expects an Analyzer server's port as the first line of its stdout. The SDK's run-policy-pack compiles the
// pack's TypeScript with ts-node and the pack directory's tsconfig.json (so it runs in that directory, as under
// Pulumi's host) and serves it through @pulumi/policy; it takes no `typescript` or `tsconfig` option.
//
// The stack comes to an analyzer by its ConfigureStack call, after it has started, but the policy SDK reads it
// from the environment at start: so, as Pulumi's host does, this first serves sdk/v3's PolicyProxy to the engine,
// waits for ConfigureStack, starts node with the stack in its environment, and then proxies the engine's calls
// to the pack.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	if req.GetKind() != string(apitype.AnalyzerPlugin) {
		return status.Errorf(codes.Unimplemented, "this rehearsal host runs policy packs only, not %s plugins", req.GetKind())
	}
	if req.GetAttachDebugger() {
		return status.Error(codes.Unimplemented, "this rehearsal host cannot attach a debugger")
	}
	// Only the engine address (the last argument) goes to node: run-policy-pack's argument parser would read the
	// engine's `--logtostderr ADDRESS` as a flag with a value and lose the address.
	args := req.GetArgs()
	if len(args) == 0 {
		return status.Error(codes.InvalidArgument, "no engine address among the plugin arguments")
	}
	dir := req.GetInfo().GetProgramDirectory()
	script, err := sdkEntry(dir, "run-policy-pack")
	if err != nil {
		return err
	}
	output := &pluginOutput{server: server}
	stdout := outputStream(func(b []byte) error {
		return output.send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	})
	stderr := outputStream(func(b []byte) error {
		return output.send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	})

	ctx := server.Context()
	proxy, packStdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return fmt.Errorf("could not serve the policy pack proxy: %w", err)
	}
	stack, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("no stack configuration from the engine: %w", err)
	}
	env, err := stackEnv(stack)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "node", append(nodeOptions(req.GetInfo().GetOptions()), script, args[len(args)-1], dir)...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, append(req.GetEnv(), env...), packStdout, stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	// Attach returns once node has exited (or never served).
	err = proxy.Attach(ctx, cmd)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return output.send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: 0}})
	case errors.As(err, &exit):
		return output.send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(exit.ExitCode())}})
	default:
		return fmt.Errorf("policy pack %s: %w", dir, err)
	}
}

func main() {
	// --logtostderr and -v are glog's, registered by the SDK's logging package.
	if flag.Lookup("tracing") == nil {
		flag.String("tracing", "", "ignored (a Zipkin endpoint)")
	}
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	h := &host{}
	if args := flag.Args(); len(args) > 0 {
		h.engineAddress = args[len(args)-1]
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-language-nodejs:", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-language-nodejs:", err)
		os.Exit(1)
	}
}
