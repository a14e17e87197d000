// Command pulumi-resource-tls is the rehearsal's own TLS resource provider. Pulumi's (pulumi-tls, the bridged
// hashicorp/terraform-provider-tls) cannot be built here: the Go module proxy refuses
// github.com/pulumi/pulumi-tls/provider/v5 and github.com/hashicorp/terraform-provider-tls altogether. So this
// stands in for it, on sdk/v3's provider API, for the resources burstmesh's trust stack creates and no more:
// tls:index/privateKey:PrivateKey, tls:index/certRequest:CertRequest, tls:index/selfSignedCert:SelfSignedCert and
// tls:index/locallySignedCert:LocallySignedCert, with the upstream's semantics (terraform-provider-tls's schema,
// plan modifiers and Create): the same inputs, defaults and validation, PEM encodings, certificate templates,
// identifiers and secret outputs. A change of any input replaces the resource, except that earlyRenewalHours is
// updated in place, a PEM input replaces only when its old value is a PEM document, and an omitted maxPathLength
// keeps the old value. A certificate within earlyRenewalHours of its end is replaced on the next update (and a
// refresh marks it readyForRenewal).
// Not implemented: the functions (getCertificate, getPublicKey), the write-only key inputs (privateKeyPemWo and
// its kin), import, and the provider's proxy setting, which only the functions use.
//
// The engine starts it as `pulumi-resource-tls [--logtostderr] [-v=N] [--tracing URL] ENGINE_ADDRESS`; it prints
// its gRPC port on stdout.
package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"math/big"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/ssh"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// version is what GetPluginInfo reports: the @pulumi/tls release this provider stands in for (set with -ldflags -X),
// the plugin version the SDK asks the engine for.
var version = "5.6.1"

// now is the clock of validity periods and renewals.
var now = time.Now

// valueKind is the type of a property, named as the Pulumi schema names it (subject: the subject object).
type valueKind string

const (
	kindString     valueKind = "string"
	kindInteger    valueKind = "integer"
	kindBoolean    valueKind = "boolean"
	kindStringList valueKind = "array"
	kindSubject    valueKind = "object"
)

// onChange is what a changed input does to the resource: terraform-provider-tls's plan modifiers.
type onChange int

const (
	// replace: RequiresReplace.
	replace onChange = iota
	// replaceIfStateIsPEM: requireReplaceIfStateContainsPEMString, a replacement only if the old value is a PEM document.
	replaceIfStateIsPEM
	// replaceIfGiven: UseStateForUnknown then RequiresReplace; an omitted value keeps the old one.
	replaceIfGiven
	// update: no plan modifier, an update in place.
	update
)

type input struct {
	name     resource.PropertyKey
	kind     valueKind
	required bool
	// fallback is the default (a null value: none).
	fallback resource.PropertyValue
	secret   bool
	change   onChange
	// oneOf lists the accepted values of a string or of each element of a list.
	oneOf []string
	// atLeast is the minimum of an integer.
	atLeast *int64
	// nonEmptyElements: each element of the list must be a non-empty string.
	nonEmptyElements bool
}

// output is a property only the provider computes.
type output struct {
	name   resource.PropertyKey
	kind   valueKind
	secret bool
}

type resourceType struct {
	token string
	// subjectType is the token of the type of the subject input, if it has one.
	subjectType string
	inputs      []input
	outputs     []output
	// certificate: a validity period, early renewal and readyForRenewal.
	certificate bool
	// create makes the resource from its checked inputs: its ID and its computed outputs.
	create func(p *tlsProvider, ctx context.Context, urn resource.URN, inputs resource.PropertyMap) (resource.ID, resource.PropertyMap, error)
}

func atLeast(n int64) *int64 { return &n }

var (
	algorithms  = []string{"RSA", "ECDSA", "ED25519"}
	ecdsaCurves = map[string]elliptic.Curve{"P224": elliptic.P224(), "P256": elliptic.P256(), "P384": elliptic.P384(), "P521": elliptic.P521()}
)

var keyUsages = map[string]x509.KeyUsage{
	"digital_signature":  x509.KeyUsageDigitalSignature,
	"content_commitment": x509.KeyUsageContentCommitment,
	"key_encipherment":   x509.KeyUsageKeyEncipherment,
	"data_encipherment":  x509.KeyUsageDataEncipherment,
	"key_agreement":      x509.KeyUsageKeyAgreement,
	"cert_signing":       x509.KeyUsageCertSign,
	"crl_signing":        x509.KeyUsageCRLSign,
	"encipher_only":      x509.KeyUsageEncipherOnly,
	"decipher_only":      x509.KeyUsageDecipherOnly,
}

var extendedKeyUsages = map[string]x509.ExtKeyUsage{
	"any_extended":                      x509.ExtKeyUsageAny,
	"server_auth":                       x509.ExtKeyUsageServerAuth,
	"client_auth":                       x509.ExtKeyUsageClientAuth,
	"code_signing":                      x509.ExtKeyUsageCodeSigning,
	"email_protection":                  x509.ExtKeyUsageEmailProtection,
	"ipsec_end_system":                  x509.ExtKeyUsageIPSECEndSystem,
	"ipsec_tunnel":                      x509.ExtKeyUsageIPSECTunnel,
	"ipsec_user":                        x509.ExtKeyUsageIPSECUser,
	"timestamping":                      x509.ExtKeyUsageTimeStamping,
	"ocsp_signing":                      x509.ExtKeyUsageOCSPSigning,
	"microsoft_server_gated_crypto":     x509.ExtKeyUsageMicrosoftServerGatedCrypto,
	"netscape_server_gated_crypto":      x509.ExtKeyUsageNetscapeServerGatedCrypto,
	"microsoft_commercial_code_signing": x509.ExtKeyUsageMicrosoftCommercialCodeSigning,
	"microsoft_kernel_code_signing":     x509.ExtKeyUsageMicrosoftKernelCodeSigning,
}

// allowedUseNames are the names allowedUses accepts, sorted.
func allowedUseNames() []string {
	names := slices.AppendSeq(slices.Collect(maps.Keys(keyUsages)), maps.Keys(extendedKeyUsages))
	slices.Sort(names)
	return names
}

// subjectFields are the subject's properties (streetAddresses a list, the others strings).
var subjectFields = []resource.PropertyKey{
	"commonName", "organization", "organizationalUnit", "streetAddresses", "locality", "province", "country",
	"postalCode", "serialNumber", "emailAddress",
}

// requestInputs are what a certificate's owner asks for: the subject and alternative names.
var requestInputs = []input{
	{name: "subject", kind: kindSubject, change: replace},
	{name: "dnsNames", kind: kindStringList, change: replace},
	{name: "ipAddresses", kind: kindStringList, change: replace, nonEmptyElements: true},
	{name: "uris", kind: kindStringList, change: replace, nonEmptyElements: true},
}

// certificateInputs are the inputs of both kinds of certificate.
var certificateInputs = []input{
	{name: "validityPeriodHours", kind: kindInteger, required: true, change: replace, atLeast: atLeast(0)},
	{name: "allowedUses", kind: kindStringList, required: true, change: replace, oneOf: allowedUseNames()},
	{name: "earlyRenewalHours", kind: kindInteger, fallback: resource.NewNumberProperty(0), change: update, atLeast: atLeast(0)},
	{name: "isCaCertificate", kind: kindBoolean, fallback: resource.NewBoolProperty(false), change: replace},
	{name: "maxPathLength", kind: kindInteger, change: replaceIfGiven, atLeast: atLeast(-1)},
	{name: "setSubjectKeyId", kind: kindBoolean, fallback: resource.NewBoolProperty(false), change: replace},
}

var certificateOutputs = []output{
	{name: "certPem", kind: kindString},
	{name: "readyForRenewal", kind: kindBoolean},
	{name: "validityStartTime", kind: kindString},
	{name: "validityEndTime", kind: kindString},
}

var resourceTypes = []*resourceType{
	{
		token: "tls:index/privateKey:PrivateKey",
		inputs: []input{
			{name: "algorithm", kind: kindString, required: true, change: replace, oneOf: algorithms},
			{name: "rsaBits", kind: kindInteger, fallback: resource.NewNumberProperty(2048), change: replace},
			{name: "ecdsaCurve", kind: kindString, fallback: resource.NewStringProperty("P224"), change: replace, oneOf: slices.Sorted(maps.Keys(ecdsaCurves))},
		},
		outputs: []output{
			{name: "privateKeyPem", kind: kindString, secret: true},
			{name: "privateKeyPemPkcs8", kind: kindString, secret: true},
			{name: "privateKeyOpenssh", kind: kindString, secret: true},
			{name: "publicKeyPem", kind: kindString},
			{name: "publicKeyOpenssh", kind: kindString},
			{name: "publicKeyFingerprintMd5", kind: kindString},
			{name: "publicKeyFingerprintSha256", kind: kindString},
		},
		create: (*tlsProvider).createPrivateKey,
	},
	{
		token:       "tls:index/certRequest:CertRequest",
		subjectType: "tls:index/CertRequestSubject:CertRequestSubject",
		inputs: slices.Concat([]input{
			{name: "privateKeyPem", kind: kindString, required: true, secret: true, change: replaceIfStateIsPEM},
		}, requestInputs),
		outputs: []output{{name: "certRequestPem", kind: kindString}, {name: "keyAlgorithm", kind: kindString}},
		create:  (*tlsProvider).createCertRequest,
	},
	{
		token:       "tls:index/selfSignedCert:SelfSignedCert",
		subjectType: "tls:index/SelfSignedCertSubject:SelfSignedCertSubject",
		inputs: slices.Concat([]input{
			{name: "privateKeyPem", kind: kindString, required: true, secret: true, change: replaceIfStateIsPEM},
			{name: "setAuthorityKeyId", kind: kindBoolean, fallback: resource.NewBoolProperty(false), change: replace},
		}, requestInputs, certificateInputs),
		outputs:     slices.Concat(certificateOutputs, []output{{name: "keyAlgorithm", kind: kindString}}),
		certificate: true,
		create:      (*tlsProvider).createSelfSignedCert,
	},
	{
		token: "tls:index/locallySignedCert:LocallySignedCert",
		inputs: slices.Concat([]input{
			{name: "certRequestPem", kind: kindString, required: true, change: replaceIfStateIsPEM},
			{name: "caPrivateKeyPem", kind: kindString, required: true, secret: true, change: replaceIfStateIsPEM},
			{name: "caCertPem", kind: kindString, required: true, change: replaceIfStateIsPEM},
		}, certificateInputs),
		outputs:     slices.Concat(certificateOutputs, []output{{name: "caKeyAlgorithm", kind: kindString}}),
		certificate: true,
		create:      (*tlsProvider).createLocallySignedCert,
	},
}

func lookup(token string) (*resourceType, error) {
	for _, t := range resourceTypes {
		if t.token == token {
			return t, nil
		}
	}
	return nil, fmt.Errorf("%s is not a resource of this provider (the rehearsal's stand-in for pulumi-tls has only PrivateKey, CertRequest, SelfSignedCert and LocallySignedCert)", token)
}

// --- property values

// revealed is a value without its secret markers, at any depth.
func revealed(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return revealed(v.SecretValue().Element)
	case v.IsArray():
		elements := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, element := range v.ArrayValue() {
			elements[i] = revealed(element)
		}
		return resource.NewArrayProperty(elements)
	case v.IsObject():
		fields := resource.PropertyMap{}
		for key, field := range v.ObjectValue() {
			fields[key] = revealed(field)
		}
		return resource.NewObjectProperty(fields)
	}
	return v
}

// given is the revealed value of a property that is set (not missing, not null).
func given(m resource.PropertyMap, key resource.PropertyKey) (resource.PropertyValue, bool) {
	v, ok := m[key]
	if !ok || revealed(v).IsNull() {
		return resource.PropertyValue{}, false
	}
	return revealed(v), true
}

func stringOf(m resource.PropertyMap, key resource.PropertyKey) string {
	if v, ok := given(m, key); ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

func integerOf(m resource.PropertyMap, key resource.PropertyKey) (int64, bool) {
	if v, ok := given(m, key); ok && v.IsNumber() {
		return int64(v.NumberValue()), true
	}
	return 0, false
}

func boolOf(m resource.PropertyMap, key resource.PropertyKey) bool {
	v, ok := given(m, key)
	return ok && v.IsBool() && v.BoolValue()
}

func stringsOf(m resource.PropertyMap, key resource.PropertyKey) []string {
	v, ok := given(m, key)
	if !ok || !v.IsArray() {
		return nil
	}
	var values []string
	for _, element := range v.ArrayValue() {
		values = append(values, element.StringValue())
	}
	return values
}

func unknown(v resource.PropertyValue) bool {
	return v.IsComputed() || (v.IsOutput() && !v.OutputValue().Known)
}

// problem says what is wrong with a set value of the input, "" if nothing; unknown values pass.
func (in input) problem(v resource.PropertyValue) string {
	if unknown(v) {
		return ""
	}
	switch in.kind {
	case kindString:
		if !v.IsString() {
			return "must be a string"
		}
		if in.oneOf != nil && !slices.Contains(in.oneOf, v.StringValue()) {
			return fmt.Sprintf("%q is not one of %s", v.StringValue(), strings.Join(in.oneOf, ", "))
		}
	case kindInteger:
		if !v.IsNumber() || v.NumberValue() != math.Trunc(v.NumberValue()) {
			return "must be a whole number"
		}
		if in.atLeast != nil && int64(v.NumberValue()) < *in.atLeast {
			return fmt.Sprintf("must be at least %d, got %d", *in.atLeast, int64(v.NumberValue()))
		}
	case kindBoolean:
		if !v.IsBool() {
			return "must be a boolean"
		}
	case kindStringList:
		if !v.IsArray() {
			return "must be a list of strings"
		}
		for i, element := range v.ArrayValue() {
			switch {
			case unknown(element):
			case !element.IsString():
				return fmt.Sprintf("element %d must be a string", i)
			case in.oneOf != nil && !slices.Contains(in.oneOf, element.StringValue()):
				return fmt.Sprintf("element %d: %q is not one of %s", i, element.StringValue(), strings.Join(in.oneOf, ", "))
			case in.nonEmptyElements && element.StringValue() == "":
				return fmt.Sprintf("element %d must not be empty", i)
			}
		}
	case kindSubject:
		if !v.IsObject() {
			return "must be an object"
		}
		for _, key := range v.ObjectValue().StableKeys() {
			field := v.ObjectValue()[key]
			switch {
			case !slices.Contains(subjectFields, key):
				return fmt.Sprintf("has no field %s (it has %s)", key, joinKeys(subjectFields))
			case field.IsNull() || unknown(field):
			case key == "streetAddresses":
				if reason := (input{kind: kindStringList}).problem(field); reason != "" {
					return fmt.Sprintf("%s %s", key, reason)
				}
			case !field.IsString():
				return fmt.Sprintf("%s must be a string", key)
			}
		}
	}
	return ""
}

func joinKeys(keys []resource.PropertyKey) string {
	names := make([]string, len(keys))
	for i, key := range keys {
		names[i] = string(key)
	}
	return strings.Join(names, ", ")
}

// check validates the inputs and fills in the defaults, as the upstream's schema does.
func (t *resourceType) check(news resource.PropertyMap) (resource.PropertyMap, []plugin.CheckFailure) {
	checked := news.Copy()
	var failures []plugin.CheckFailure
	known := map[resource.PropertyKey]bool{}
	for _, in := range t.inputs {
		known[in.name] = true
		v, ok := given(news, in.name)
		switch {
		case ok:
			if reason := in.problem(v); reason != "" {
				failures = append(failures, plugin.CheckFailure{Property: in.name, Reason: reason})
			}
		case in.required:
			failures = append(failures, plugin.CheckFailure{Property: in.name, Reason: fmt.Sprintf("Missing required property '%s'", in.name)})
		case !in.fallback.IsNull():
			checked[in.name] = in.fallback
		default:
			delete(checked, in.name)
		}
	}
	for _, key := range news.StableKeys() {
		if known[key] {
			continue
		}
		reason := fmt.Sprintf("%s is not an input of %s here (this provider, the rehearsal's stand-in for pulumi-tls, takes %s)",
			key, t.token, joinKeys(t.inputNames()))
		if base, writeOnly := writeOnlyBase(key); writeOnly {
			reason = fmt.Sprintf("%s: write-only key inputs are not supported by the rehearsal's stand-in for pulumi-tls; pass the key as %s", key, base)
		}
		failures = append(failures, plugin.CheckFailure{Property: key, Reason: reason})
	}
	return checked, failures
}

// writeOnlyBase is the ordinary input behind a write-only one (privateKeyPemWo, privateKeyPemWoVersion: privateKeyPem).
func writeOnlyBase(key resource.PropertyKey) (string, bool) {
	name := strings.TrimSuffix(string(key), "Version")
	if !strings.HasSuffix(name, "Wo") {
		return "", false
	}
	return strings.TrimSuffix(name, "Wo"), true
}

func (t *resourceType) inputNames() []resource.PropertyKey {
	names := make([]resource.PropertyKey, len(t.inputs))
	for i, in := range t.inputs {
		names[i] = in.name
	}
	return names
}

// state is the resource's state: its inputs, then its computed outputs; secret properties are secrets.
func (t *resourceType) state(inputs, computed resource.PropertyMap) resource.PropertyMap {
	state := resource.PropertyMap{}
	for _, in := range t.inputs {
		if v, ok := inputs[in.name]; ok && !revealed(v).IsNull() {
			state[in.name] = secretIf(in.secret, v)
		}
	}
	for _, out := range t.outputs {
		if v, ok := computed[out.name]; ok {
			state[out.name] = secretIf(out.secret, v)
		}
	}
	return state
}

func secretIf(secret bool, v resource.PropertyValue) resource.PropertyValue {
	if secret && !v.IsSecret() && !unknown(v) {
		return resource.MakeSecret(v)
	}
	return v
}

var pemDocument = regexp.MustCompile(`^-----BEGIN [[:alpha:] ]+-----\n(.|\s)+\n-----END [[:alpha:] ]+-----\n?$`)

// replaces says whether changing the input from old (state) replaces the resource.
func (in input) replaces(old resource.PropertyValue, hadOld bool) bool {
	switch in.change {
	case replace, replaceIfGiven:
		return true
	case replaceIfStateIsPEM:
		return hadOld && old.IsString() && pemDocument.MatchString(old.StringValue())
	}
	return false
}

func sameValue(a, b resource.PropertyValue) bool {
	return !a.ContainsUnknowns() && !b.ContainsUnknowns() && revealed(a).DeepEquals(revealed(b))
}

// plannedReadyForRenewal is readyForRenewal as the upstream plans it: true for a certificate valid for no time or
// renewed early by at least its validity period.
func plannedReadyForRenewal(inputs resource.PropertyMap) bool {
	validity, _ := integerOf(inputs, "validityPeriodHours")
	early, earlyKnown := integerOf(inputs, "earlyRenewalHours")
	return validity == 0 || (earlyKnown && early >= validity)
}

// renewalDue says whether a certificate ending at validityEndTime (in state) is within early hours of its end.
func renewalDue(state resource.PropertyMap, early int64) (bool, error) {
	end, ok := given(state, "validityEndTime")
	if !ok || !end.IsString() {
		return false, nil
	}
	endTime, err := time.Parse(time.RFC3339, end.StringValue())
	if err != nil {
		return false, fmt.Errorf("failed to parse validityEndTime %q: %w", end.StringValue(), err)
	}
	return !endTime.Add(-time.Duration(early) * time.Hour).After(now()), nil
}

// diff compares the old state with the checked new inputs, as the upstream's plan does.
func (t *resourceType) diff(olds, news resource.PropertyMap) (plugin.DiffResult, error) {
	detailed := map[string]plugin.PropertyDiff{}
	for _, in := range t.inputs {
		old, hadOld := given(olds, in.name)
		value, hasNew := news[in.name]
		hasNew = hasNew && !revealed(value).IsNull()
		if in.change == replaceIfGiven && !hasNew {
			continue
		}
		if hadOld == hasNew && (!hasNew || sameValue(old, value)) {
			continue
		}
		kind := plugin.DiffUpdate
		switch {
		case !hadOld:
			kind = plugin.DiffAdd
		case !hasNew:
			kind = plugin.DiffDelete
		}
		if in.replaces(old, hadOld) {
			kind = kind.AsReplace()
		}
		detailed[string(in.name)] = plugin.PropertyDiff{Kind: kind}
	}
	if t.certificate {
		if early, known := integerOf(news, "earlyRenewalHours"); known {
			due, err := renewalDue(olds, early)
			if err != nil {
				return plugin.DiffResult{}, err
			}
			ready, _ := given(olds, "readyForRenewal")
			switch {
			case due:
				detailed["readyForRenewal"] = plugin.PropertyDiff{Kind: plugin.DiffUpdateReplace}
			case !ready.IsBool() || ready.BoolValue() != plannedReadyForRenewal(news):
				detailed["readyForRenewal"] = plugin.PropertyDiff{Kind: plugin.DiffUpdate}
			}
		}
	}
	if len(detailed) == 0 {
		return plugin.DiffResult{Changes: plugin.DiffNone}, nil
	}
	return plugin.DiffResult{Changes: plugin.DiffSome, DetailedDiff: detailed}, nil
}

// preview is the state a create will give, the computed outputs unknown (readyForRenewal is planned).
func (t *resourceType) preview(inputs resource.PropertyMap) resource.PropertyMap {
	computed := resource.PropertyMap{}
	for _, out := range t.outputs {
		computed[out.name] = resource.MakeComputed(resource.NewStringProperty(""))
	}
	if t.certificate {
		computed["readyForRenewal"] = resource.NewBoolProperty(plannedReadyForRenewal(inputs))
	}
	return t.state(inputs, computed)
}

// --- keys

// stateHash is the upstream's identifier of a key or request: the SHA-1 (hex) of its DER bytes, as a trimmed string.
func stateHash(der []byte) string {
	sum := sha1.Sum([]byte(strings.TrimSpace(string(der))))
	return hex.EncodeToString(sum[:])
}

func encodePEM(blockType string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}))
}

// parsePrivateKey reads a private key PEM: PKCS#1 RSA, SEC 1 EC or PKCS#8, and names its algorithm.
func parsePrivateKey(document string) (crypto.Signer, string, error) {
	block, rest := pem.Decode([]byte(document))
	if block == nil {
		return nil, "", fmt.Errorf("failed to decode PEM block: decoded bytes %d, undecoded %d", len(document)-len(rest), len(rest))
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "PUBLIC KEY", "CERTIFICATE", "CERTIFICATE REQUEST":
		return nil, "", fmt.Errorf("unable to determine parser for PEM preamble: %s", block.Type)
	default:
		return nil, "", fmt.Errorf("unsupported PEM preamble/type: %s", block.Type)
	}
	if err != nil {
		return nil, "", fmt.Errorf("failed to parse private key given PEM preamble '%s': %w", block.Type, err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, "RSA", nil
	case *ecdsa.PrivateKey:
		return k, "ECDSA", nil
	case ed25519.PrivateKey:
		return k, "ED25519", nil
	}
	return nil, "", fmt.Errorf("unsupported private key type: %T", key)
}

func (p *tlsProvider) createPrivateKey(_ context.Context, _ resource.URN, inputs resource.PropertyMap) (resource.ID, resource.PropertyMap, error) {
	var key crypto.Signer
	var err error
	switch algorithm := stringOf(inputs, "algorithm"); algorithm {
	case "RSA":
		bits, _ := integerOf(inputs, "rsaBits")
		key, err = rsa.GenerateKey(rand.Reader, int(bits))
	case "ECDSA":
		key, err = ecdsa.GenerateKey(ecdsaCurves[stringOf(inputs, "ecdsaCurve")], rand.Reader)
	case "ED25519":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		err = fmt.Errorf("key algorithm %q is not supported", algorithm)
	}
	if err != nil {
		return "", nil, fmt.Errorf("unable to generate key from configuration: %w", err)
	}

	// The upstream's privateKeyPem: PKCS#1 for RSA, SEC 1 for ECDSA, PKCS#8 for Ed25519.
	var keyPEM string
	switch k := key.(type) {
	case *rsa.PrivateKey:
		keyPEM = encodePEM("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k))
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return "", nil, fmt.Errorf("unable to encode key to PEM: %w", err)
		}
		keyPEM = encodePEM("EC PRIVATE KEY", der)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", nil, fmt.Errorf("unable to encode private key to PKCS#8 PEM: %w", err)
	}
	if keyPEM == "" {
		keyPEM = encodePEM("PRIVATE KEY", pkcs8)
	}
	// x/crypto/ssh has no P-224: those keys get empty OpenSSH encodings and fingerprints.
	var keyOpenSSH, publicOpenSSH, fingerprintMD5, fingerprintSHA256 string
	if ec, isEC := key.(*ecdsa.PrivateKey); !isEC || ec.Curve != elliptic.P224() {
		block, err := ssh.MarshalPrivateKey(key, "")
		if err != nil {
			return "", nil, fmt.Errorf("unable to marshal private key into OpenSSH format: %w", err)
		}
		keyOpenSSH = string(pem.EncodeToMemory(block))
		sshPublic, err := ssh.NewPublicKey(key.Public())
		if err != nil {
			return "", nil, fmt.Errorf("unable to encode the public key for OpenSSH: %w", err)
		}
		publicOpenSSH = string(ssh.MarshalAuthorizedKey(sshPublic))
		fingerprintMD5, fingerprintSHA256 = ssh.FingerprintLegacyMD5(sshPublic), ssh.FingerprintSHA256(sshPublic)
	}
	publicDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return "", nil, fmt.Errorf("failed to marshal public key: %w", err)
	}
	return resource.ID(stateHash(publicDER)), resource.PropertyMap{
		"privateKeyPem":              resource.NewStringProperty(keyPEM),
		"privateKeyPemPkcs8":         resource.NewStringProperty(encodePEM("PRIVATE KEY", pkcs8)),
		"privateKeyOpenssh":          resource.NewStringProperty(keyOpenSSH),
		"publicKeyPem":               resource.NewStringProperty(encodePEM("PUBLIC KEY", publicDER)),
		"publicKeyOpenssh":           resource.NewStringProperty(publicOpenSSH),
		"publicKeyFingerprintMd5":    resource.NewStringProperty(fingerprintMD5),
		"publicKeyFingerprintSha256": resource.NewStringProperty(fingerprintSHA256),
	}, nil
}

// --- requests and certificates

// subjectName is the subject input as a distinguished name; a field that is set, even empty, is in it.
func subjectName(inputs resource.PropertyMap) pkix.Name {
	var name pkix.Name
	subject, ok := given(inputs, "subject")
	if !ok || !subject.IsObject() {
		return name
	}
	fields := subject.ObjectValue()
	one := func(key resource.PropertyKey) []string {
		if v, ok := given(fields, key); ok {
			return []string{v.StringValue()}
		}
		return nil
	}
	if v, ok := given(fields, "commonName"); ok {
		name.CommonName = v.StringValue()
	}
	name.Organization = one("organization")
	name.OrganizationalUnit = one("organizationalUnit")
	name.StreetAddress = stringsOf(fields, "streetAddresses")
	name.Locality = one("locality")
	name.Province = one("province")
	name.Country = one("country")
	name.PostalCode = one("postalCode")
	if v, ok := given(fields, "serialNumber"); ok {
		name.SerialNumber = v.StringValue()
	}
	if v, ok := given(fields, "emailAddress"); ok {
		name.ExtraNames = append(name.ExtraNames, pkix.AttributeTypeAndValue{
			Type:  asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1},
			Value: asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte(v.StringValue())},
		})
	}
	return name
}

// alternativeNames are the DNS names, IP addresses and URIs of the inputs.
func alternativeNames(inputs resource.PropertyMap) ([]string, []net.IP, []*url.URL, error) {
	var ips []net.IP
	for _, text := range stringsOf(inputs, "ipAddresses") {
		ip := net.ParseIP(text)
		if ip == nil {
			return nil, nil, nil, fmt.Errorf("invalid IP address: failed to parse %q", text)
		}
		ips = append(ips, ip)
	}
	var uris []*url.URL
	for _, text := range stringsOf(inputs, "uris") {
		uri, err := url.Parse(text)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("invalid URI: failed to parse %q: %w", text, err)
		}
		uris = append(uris, uri)
	}
	return stringsOf(inputs, "dnsNames"), ips, uris, nil
}

func (p *tlsProvider) createCertRequest(_ context.Context, _ resource.URN, inputs resource.PropertyMap) (resource.ID, resource.PropertyMap, error) {
	key, algorithm, err := parsePrivateKey(stringOf(inputs, "privateKeyPem"))
	if err != nil {
		return "", nil, fmt.Errorf("failed to parse private key PEM: %w", err)
	}
	request := x509.CertificateRequest{Subject: subjectName(inputs)}
	if request.DNSNames, request.IPAddresses, request.URIs, err = alternativeNames(inputs); err != nil {
		return "", nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &request, key)
	if err != nil {
		return "", nil, fmt.Errorf("error creating certificate request: %w", err)
	}
	return resource.ID(stateHash(der)), resource.PropertyMap{
		"certRequestPem": resource.NewStringProperty(encodePEM("CERTIFICATE REQUEST", der)),
		"keyAlgorithm":   resource.NewStringProperty(algorithm),
	}, nil
}

// subjectKeyID is the upstream's subject key identifier: the SHA-1 of the public key's bits (for Ed25519, of
// the key as an ASN.1 OCTET STRING).
func subjectKeyID(public crypto.PublicKey) ([]byte, error) {
	var bits []byte
	var err error
	switch k := public.(type) {
	case *rsa.PublicKey:
		bits, err = asn1.Marshal(*k)
	case *ecdsa.PublicKey:
		bits, err = k.Bytes()
	case ed25519.PublicKey:
		bits, err = asn1.Marshal(k)
	default:
		err = fmt.Errorf("unsupported public key type %T", public)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to generate subject key identifier: %w", err)
	}
	sum := sha1.Sum(bits)
	return sum[:], nil
}

// issue signs the certificate template as the upstream does, with parent as issuer (the template itself for a
// self-signed certificate): its validity, random 128-bit serial, key usages, CA flag and key identifiers.
func issue(template, parent *x509.Certificate, public crypto.PublicKey, signer crypto.Signer, inputs resource.PropertyMap) (resource.ID, resource.PropertyMap, error) {
	hours, _ := integerOf(inputs, "validityPeriodHours")
	template.NotBefore = now()
	template.NotAfter = template.NotBefore.Add(time.Duration(hours) * time.Hour)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return "", nil, fmt.Errorf("failed to generate serial number: %w", err)
	}
	template.SerialNumber = serial
	for _, use := range stringsOf(inputs, "allowedUses") {
		template.KeyUsage |= keyUsages[use]
		if extended, ok := extendedKeyUsages[use]; ok {
			template.ExtKeyUsage = append(template.ExtKeyUsage, extended)
		}
	}
	if boolOf(inputs, "isCaCertificate") {
		// RFC 5280 4.1.2.6: a CA's subject holds at least one distinguished name.
		if reflect.DeepEqual(template.Subject, pkix.Name{}) {
			return "", nil, errors.New("invalid certificate subject: must contain at least one Distinguished Name when creating Certificate Authority (CA)")
		}
		template.IsCA = true
		if template.SubjectKeyId, err = subjectKeyID(public); err != nil {
			return "", nil, err
		}
	}
	// Go's x509 reads a MaxPathLen of 0 without MaxPathLenZero as no limit: the upstream never sets MaxPathLenZero.
	if length, ok := integerOf(inputs, "maxPathLength"); ok && length >= 0 {
		template.MaxPathLen = int(length)
	}
	if boolOf(inputs, "setSubjectKeyId") {
		if template.SubjectKeyId, err = subjectKeyID(public); err != nil {
			return "", nil, err
		}
	}
	if boolOf(inputs, "setAuthorityKeyId") {
		if len(parent.SubjectKeyId) == 0 {
			return "", nil, errors.New("invalid Certificate Authority: could not determine Authority Key Identifier")
		}
		template.AuthorityKeyId = parent.SubjectKeyId
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, public, signer)
	if err != nil {
		return "", nil, fmt.Errorf("failed to create certificate: %w", err)
	}
	start, err := template.NotBefore.MarshalText()
	if err != nil {
		return "", nil, fmt.Errorf("failed to serialize validity start time: %w", err)
	}
	end, err := template.NotAfter.MarshalText()
	if err != nil {
		return "", nil, fmt.Errorf("failed to serialize validity end time: %w", err)
	}
	return resource.ID(serial.String()), resource.PropertyMap{
		"certPem":           resource.NewStringProperty(encodePEM("CERTIFICATE", der)),
		"validityStartTime": resource.NewStringProperty(string(start)),
		"validityEndTime":   resource.NewStringProperty(string(end)),
		"readyForRenewal":   resource.NewBoolProperty(plannedReadyForRenewal(inputs)),
	}, nil
}

func (p *tlsProvider) createSelfSignedCert(_ context.Context, _ resource.URN, inputs resource.PropertyMap) (resource.ID, resource.PropertyMap, error) {
	key, algorithm, err := parsePrivateKey(stringOf(inputs, "privateKeyPem"))
	if err != nil {
		return "", nil, fmt.Errorf("failed to parse private key PEM: %w", err)
	}
	template := &x509.Certificate{BasicConstraintsValid: true, Subject: subjectName(inputs)}
	if template.DNSNames, template.IPAddresses, template.URIs, err = alternativeNames(inputs); err != nil {
		return "", nil, err
	}
	id, computed, err := issue(template, template, key.Public(), key, inputs)
	if err != nil {
		return "", nil, err
	}
	computed["keyAlgorithm"] = resource.NewStringProperty(algorithm)
	return id, computed, nil
}

// decodePEM is the first PEM block of the document, which must be of the type.
func decodePEM(document, blockType string) (*pem.Block, error) {
	block, _ := pem.Decode([]byte(document))
	if block == nil {
		return nil, fmt.Errorf("failed to decode PEM of expected type %q from bytes", blockType)
	}
	if block.Type != blockType {
		return nil, fmt.Errorf("invalid PEM type - expected %q, got %q", blockType, block.Type)
	}
	return block, nil
}

func (p *tlsProvider) createLocallySignedCert(ctx context.Context, urn resource.URN, inputs resource.PropertyMap) (resource.ID, resource.PropertyMap, error) {
	block, err := decodePEM(stringOf(inputs, "certRequestPem"), "CERTIFICATE REQUEST")
	if err != nil {
		return "", nil, fmt.Errorf("failed to parse certificate request PEM: %w", err)
	}
	request, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return "", nil, fmt.Errorf("failed to parse certificate request PEM: failed to parse certificate request: %w", err)
	}
	caKey, algorithm, err := parsePrivateKey(stringOf(inputs, "caPrivateKeyPem"))
	if err != nil {
		return "", nil, fmt.Errorf("failed to parse CA private key PEM: %w", err)
	}
	if block, err = decodePEM(stringOf(inputs, "caCertPem"), "CERTIFICATE"); err != nil {
		return "", nil, fmt.Errorf("failed to parse CA certificate PEM: %w", err)
	}
	caCerts, err := x509.ParseCertificates(block.Bytes)
	switch {
	case err != nil:
		return "", nil, fmt.Errorf("failed to parse CA certificate PEM: failed to parse certificate: %w", err)
	case len(caCerts) != 1:
		return "", nil, fmt.Errorf("failed to parse CA certificate PEM: %d certificates in its first PEM block, expected 1", len(caCerts))
	}
	if !caCerts[0].IsCA {
		p.warn(ctx, urn, "Potentially Invalid Certificate Authority: Certificate provided as Authority does not appear to be a valid Certificate Authority. The resulting certificate might fail certificate validation.")
	}
	template := &x509.Certificate{
		Subject:               request.Subject,
		DNSNames:              request.DNSNames,
		IPAddresses:           request.IPAddresses,
		URIs:                  request.URIs,
		BasicConstraintsValid: true,
	}
	id, computed, err := issue(template, caCerts[0], request.PublicKey, caKey, inputs)
	if err != nil {
		return "", nil, err
	}
	computed["caKeyAlgorithm"] = resource.NewStringProperty(algorithm)
	return id, computed, nil
}

// --- the provider

type tlsProvider struct {
	plugin.UnimplementedProvider

	mu     sync.Mutex
	engine pulumirpc.EngineClient
}

// connect makes the engine at address the receiver of the provider's warnings, unless it has one.
func (p *tlsProvider) connect(address string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.engine != nil || address == "" {
		return nil
	}
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("connecting to the engine at %s: %w", address, err)
	}
	p.engine = pulumirpc.NewEngineClient(conn)
	return nil
}

// warn shows a warning on the resource, as the upstream's warning diagnostics are shown.
func (p *tlsProvider) warn(ctx context.Context, urn resource.URN, message string) {
	p.mu.Lock()
	engine := p.engine
	p.mu.Unlock()
	if engine != nil {
		_, err := engine.Log(ctx, &pulumirpc.LogRequest{Severity: pulumirpc.LogSeverity_WARNING, Message: message, Urn: string(urn)})
		if err == nil {
			return
		}
	}
	fmt.Fprintf(os.Stderr, "warning: %s: %s\n", urn, message)
}

func (p *tlsProvider) Handshake(_ context.Context, req plugin.ProviderHandshakeRequest) (*plugin.ProviderHandshakeResponse, error) {
	if err := p.connect(req.EngineAddress); err != nil {
		return nil, err
	}
	return &plugin.ProviderHandshakeResponse{AcceptSecrets: true}, nil
}

func (p *tlsProvider) GetPluginInfo(context.Context) (plugin.PluginInfo, error) {
	v, err := semver.Parse(version)
	if err != nil {
		return plugin.PluginInfo{}, err
	}
	return plugin.PluginInfo{Version: &v}, nil
}

func (p *tlsProvider) GetSchema(context.Context, plugin.GetSchemaRequest) (plugin.GetSchemaResponse, error) {
	schema, err := packageSchema()
	return plugin.GetSchemaResponse{Schema: schema}, err
}

// The provider's one setting, proxy, serves only the functions, which are not implemented: nothing configures the
// resources, so the configuration is taken as it is and a change of it changes nothing.

func (p *tlsProvider) CheckConfig(_ context.Context, req plugin.CheckConfigRequest) (plugin.CheckConfigResponse, error) {
	return plugin.CheckConfigResponse{Properties: req.News}, nil
}

func (p *tlsProvider) DiffConfig(context.Context, plugin.DiffConfigRequest) (plugin.DiffConfigResponse, error) {
	return plugin.DiffResult{Changes: plugin.DiffNone}, nil
}

func (p *tlsProvider) Configure(context.Context, plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	return plugin.ConfigureResponse{}, nil
}

func (p *tlsProvider) Check(_ context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
	t, err := lookup(string(req.Type))
	if err != nil {
		return plugin.CheckResponse{}, err
	}
	checked, failures := t.check(req.News)
	return plugin.CheckResponse{Properties: checked, Failures: failures}, nil
}

func (p *tlsProvider) Diff(_ context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
	t, err := lookup(string(req.Type))
	if err != nil {
		return plugin.DiffResult{}, err
	}
	return t.diff(req.OldOutputs, req.NewInputs)
}

func (p *tlsProvider) Create(ctx context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
	t, err := lookup(string(req.Type))
	if err != nil {
		return plugin.CreateResponse{}, err
	}
	if req.Preview {
		return plugin.CreateResponse{Properties: t.preview(req.Properties)}, nil
	}
	id, computed, err := t.create(p, ctx, req.URN, req.Properties)
	if err != nil {
		return plugin.CreateResponse{}, err
	}
	return plugin.CreateResponse{ID: id, Properties: t.state(req.Properties, computed)}, nil
}

// Read gives the state back (the resources live nowhere else), a certificate within its early renewal period
// marked readyForRenewal.
func (p *tlsProvider) Read(_ context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
	t, err := lookup(string(req.Type))
	if err != nil {
		return plugin.ReadResponse{}, err
	}
	if len(req.State) == 0 {
		return plugin.ReadResponse{}, fmt.Errorf("%s %s cannot be read without its state: the resource cannot be imported", t.token, req.ID)
	}
	state := req.State.Copy()
	if t.certificate {
		early, _ := integerOf(state, "earlyRenewalHours")
		due, err := renewalDue(state, early)
		if err != nil {
			return plugin.ReadResponse{}, err
		}
		if due {
			state["readyForRenewal"] = resource.NewBoolProperty(true)
		}
	}
	return plugin.ReadResponse{ReadResult: plugin.ReadResult{ID: req.ID, Inputs: req.Inputs, Outputs: state}}, nil
}

// Update takes the new inputs into the state (Diff replaces the resource for any other change).
func (p *tlsProvider) Update(_ context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
	t, err := lookup(string(req.Type))
	if err != nil {
		return plugin.UpdateResponse{}, err
	}
	computed := resource.PropertyMap{}
	for _, out := range t.outputs {
		if v, ok := req.OldOutputs[out.name]; ok {
			computed[out.name] = v
		}
	}
	inputs := req.NewInputs.Copy()
	for _, in := range t.inputs {
		if _, given := inputs[in.name]; !given && in.change == replaceIfGiven {
			if old, ok := req.OldOutputs[in.name]; ok {
				inputs[in.name] = old
			}
		}
	}
	if t.certificate {
		computed["readyForRenewal"] = resource.NewBoolProperty(plannedReadyForRenewal(inputs))
	}
	return plugin.UpdateResponse{Properties: t.state(inputs, computed)}, nil
}

func (p *tlsProvider) Delete(context.Context, plugin.DeleteRequest) (plugin.DeleteResponse, error) {
	return plugin.DeleteResponse{}, nil
}

func (p *tlsProvider) Invoke(_ context.Context, req plugin.InvokeRequest) (plugin.InvokeResponse, error) {
	return plugin.InvokeResponse{}, fmt.Errorf("%s is not implemented by the rehearsal's stand-in for pulumi-tls (it has only the resources)", req.Tok)
}

func (p *tlsProvider) SignalCancellation(context.Context) error { return nil }

// --- schema

func (k valueKind) schema(subjectType string) map[string]any {
	switch k {
	case kindStringList:
		return map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
	case kindSubject:
		return map[string]any{"$ref": "#/types/" + subjectType}
	}
	return map[string]any{"type": string(k)}
}

// packageSchema is the Pulumi schema of the four resources: their properties, types, defaults and secrets.
func packageSchema() ([]byte, error) {
	subjectProperties := map[string]any{}
	for _, field := range subjectFields {
		kind := kindString
		if field == "streetAddresses" {
			kind = kindStringList
		}
		subjectProperties[string(field)] = kind.schema("")
	}
	resources, types := map[string]any{}, map[string]any{}
	for _, t := range resourceTypes {
		properties, inputProperties := map[string]any{}, map[string]any{}
		required, requiredInputs := []string{}, []string{}
		for _, in := range t.inputs {
			spec := in.kind.schema(t.subjectType)
			if in.secret {
				spec["secret"] = true
			}
			properties[string(in.name)] = spec
			if in.required || !in.fallback.IsNull() {
				required = append(required, string(in.name))
			}
			withDefault := map[string]any{}
			for key, value := range spec {
				withDefault[key] = value
			}
			if !in.fallback.IsNull() {
				withDefault["default"] = in.fallback.Mappable()
			}
			inputProperties[string(in.name)] = withDefault
			if in.required {
				requiredInputs = append(requiredInputs, string(in.name))
			}
		}
		for _, out := range t.outputs {
			spec := out.kind.schema("")
			if out.secret {
				spec["secret"] = true
			}
			properties[string(out.name)] = spec
			required = append(required, string(out.name))
		}
		resources[t.token] = map[string]any{
			"properties": properties, "required": required, "inputProperties": inputProperties, "requiredInputs": requiredInputs,
		}
		if t.subjectType != "" {
			types[t.subjectType] = map[string]any{"type": "object", "properties": subjectProperties}
		}
	}
	return json.Marshal(map[string]any{
		"name":        "tls",
		"version":     version,
		"description": "The rehearsal's stand-in for pulumi-tls: its four resources, with the upstream's semantics.",
		"resources":   resources,
		"types":       types,
	})
}

func main() {
	// --logtostderr and -v are glog's, registered by the SDK's logging package.
	if flag.Lookup("tracing") == nil {
		flag.String("tracing", "", "ignored (a Zipkin endpoint)")
	}
	flag.Parse()
	p := &tlsProvider{}
	if args := flag.Args(); len(args) > 0 {
		if err := p.connect(args[len(args)-1]); err != nil {
			fmt.Fprintln(os.Stderr, "pulumi-resource-tls:", err)
			os.Exit(1)
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, plugin.NewProviderServer(p))
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-tls:", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-tls:", err)
		os.Exit(1)
	}
}
