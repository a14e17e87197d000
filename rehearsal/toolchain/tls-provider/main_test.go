package main

// These tests drive the provider through the gRPC server the engine talks to (sdk/v3's provider server over the
// provider), with the properties marshalled as the engine marshals them, and read what it makes with crypto/x509.
// They run in the module build.ts generates for the tool (a copy of this file next to its main.go): go test .

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/ssh"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	privateKeyType        = "tls:index/privateKey:PrivateKey"
	certRequestType       = "tls:index/certRequest:CertRequest"
	selfSignedCertType    = "tls:index/selfSignedCert:SelfSignedCert"
	locallySignedCertType = "tls:index/locallySignedCert:LocallySignedCert"
)

var caUses = []string{"cert_signing", "crl_signing", "digital_signature"}

type harness struct {
	t      *testing.T
	server pulumirpc.ResourceProviderServer
}

// newHarness is a provider configured as the engine configures it.
func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, server: plugin.NewProviderServer(&tlsProvider{})}
	if _, err := h.server.Handshake(context.Background(), &pulumirpc.ProviderHandshakeRequest{}); err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	typ := "pulumi:providers:tls"
	config := h.marshal(resource.PropertyMap{"version": resource.NewStringProperty("5.6.1")})
	if _, err := h.server.CheckConfig(context.Background(), &pulumirpc.CheckRequest{Urn: urnOf(typ, "default"), News: config}); err != nil {
		t.Fatalf("CheckConfig: %v", err)
	}
	configured, err := h.server.Configure(context.Background(), &pulumirpc.ConfigureRequest{Type: &typ, Args: config, AcceptSecrets: true, AcceptResources: true})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if !configured.AcceptSecrets || !configured.SupportsPreview {
		t.Fatalf("Configure answered %v: the engine would not send secrets or ask for previews", configured)
	}
	return h
}

func urnOf(token, name string) string {
	return string(resource.NewURN("test", "burstmesh", "", tokens.Type(token), name))
}

func (h *harness) marshal(m resource.PropertyMap) *structpb.Struct {
	h.t.Helper()
	s, err := plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	if err != nil {
		h.t.Fatalf("marshal: %v", err)
	}
	return s
}

func (h *harness) unmarshal(s *structpb.Struct) resource.PropertyMap {
	h.t.Helper()
	m, err := plugin.UnmarshalProperties(s, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	if err != nil {
		h.t.Fatalf("unmarshal: %v", err)
	}
	return m
}

// check is Check's answer: the checked inputs and the failures' reasons by property.
func (h *harness) check(token, name string, inputs resource.PropertyMap) (resource.PropertyMap, map[string]string) {
	h.t.Helper()
	resp, err := h.server.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urnOf(token, name), News: h.marshal(inputs), Olds: h.marshal(resource.PropertyMap{})})
	if err != nil {
		h.t.Fatalf("Check %s: %v", name, err)
	}
	failures := map[string]string{}
	for _, f := range resp.Failures {
		failures[f.Property] = f.Reason
	}
	return h.unmarshal(resp.Inputs), failures
}

func (h *harness) checked(token, name string, inputs resource.PropertyMap) resource.PropertyMap {
	h.t.Helper()
	checked, failures := h.check(token, name, inputs)
	if len(failures) > 0 {
		h.t.Fatalf("Check %s failed: %v", name, failures)
	}
	return checked
}

type created struct {
	id     string
	inputs resource.PropertyMap
	state  resource.PropertyMap
}

// tryCreate checks the inputs and creates the resource.
func (h *harness) tryCreate(token, name string, inputs resource.PropertyMap) (created, error) {
	h.t.Helper()
	checked := h.checked(token, name, inputs)
	resp, err := h.server.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urnOf(token, name), Properties: h.marshal(checked)})
	if err != nil {
		return created{}, err
	}
	if resp.Id == "" {
		h.t.Fatalf("Create %s: no ID", name)
	}
	return created{id: resp.Id, inputs: checked, state: h.unmarshal(resp.Properties)}, nil
}

func (h *harness) create(token, name string, inputs resource.PropertyMap) created {
	h.t.Helper()
	c, err := h.tryCreate(token, name, inputs)
	if err != nil {
		h.t.Fatalf("Create %s: %v", name, err)
	}
	return c
}

// diff is Diff's answer for new (unchecked) inputs of a created resource.
func (h *harness) diff(token, name string, old created, news resource.PropertyMap) *pulumirpc.DiffResponse {
	h.t.Helper()
	resp, err := h.server.Diff(context.Background(), &pulumirpc.DiffRequest{
		Urn: urnOf(token, name), Id: old.id, Olds: h.marshal(old.state), OldInputs: h.marshal(old.inputs),
		News: h.marshal(h.checked(token, name, news)),
	})
	if err != nil {
		h.t.Fatalf("Diff %s: %v", name, err)
	}
	return resp
}

func str(s string) resource.PropertyValue   { return resource.NewStringProperty(s) }
func num(n float64) resource.PropertyValue  { return resource.NewNumberProperty(n) }
func boolean(b bool) resource.PropertyValue { return resource.NewBoolProperty(b) }
func list(values ...string) resource.PropertyValue {
	elements := make([]resource.PropertyValue, len(values))
	for i, v := range values {
		elements[i] = str(v)
	}
	return resource.NewArrayProperty(elements)
}
func object(m resource.PropertyMap) resource.PropertyValue   { return resource.NewObjectProperty(m) }
func secret(v resource.PropertyValue) resource.PropertyValue { return resource.MakeSecret(v) }
func computed() resource.PropertyValue                       { return resource.MakeComputed(str("")) }

// text is a string property of the state, which must be there (secret or not).
func text(t *testing.T, m resource.PropertyMap, key resource.PropertyKey) string {
	t.Helper()
	v, ok := given(m, key)
	if !ok || !v.IsString() {
		t.Fatalf("%s: no string in %v", key, m)
	}
	return v.StringValue()
}

func isSecret(m resource.PropertyMap, key resource.PropertyKey) bool { return m[key].IsSecret() }

func parseCert(t *testing.T, document string) *x509.Certificate {
	t.Helper()
	block, rest := pem.Decode([]byte(document))
	if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) > 0 {
		t.Fatalf("not one PEM certificate: %q", document)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	return cert
}

func pemBlock(t *testing.T, document, blockType string) []byte {
	t.Helper()
	block, _ := pem.Decode([]byte(document))
	if block == nil || block.Type != blockType {
		t.Fatalf("want a %s PEM block, got %q", blockType, document)
	}
	return block.Bytes
}

func TestPrivateKeyEncodingsAreTheUpstreams(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name      string
		inputs    resource.PropertyMap
		blockType string
		check     func(t *testing.T, key any)
		openSSH   bool
	}{
		{"RSA, default size", resource.PropertyMap{"algorithm": str("RSA")}, "RSA PRIVATE KEY", func(t *testing.T, key any) {
			if k, ok := key.(*rsa.PrivateKey); !ok || k.N.BitLen() != 2048 {
				t.Fatalf("want the default RSA 2048 key, got %T", key)
			}
		}, true},
		{"ECDSA P-384", resource.PropertyMap{"algorithm": str("ECDSA"), "ecdsaCurve": str("P384")}, "EC PRIVATE KEY", func(t *testing.T, key any) {
			if k, ok := key.(*ecdsa.PrivateKey); !ok || k.Curve != elliptic.P384() {
				t.Fatalf("want a P-384 key, got %T", key)
			}
		}, true},
		{"ECDSA, default curve", resource.PropertyMap{"algorithm": str("ECDSA")}, "EC PRIVATE KEY", func(t *testing.T, key any) {
			if k, ok := key.(*ecdsa.PrivateKey); !ok || k.Curve != elliptic.P224() {
				t.Fatalf("want the default P-224 key, got %T", key)
			}
		}, false},
		{"Ed25519", resource.PropertyMap{"algorithm": str("ED25519")}, "PRIVATE KEY", func(t *testing.T, key any) {
			if _, ok := key.(ed25519.PrivateKey); !ok {
				t.Fatalf("want an Ed25519 key, got %T", key)
			}
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := h.create(privateKeyType, "key", c.inputs)
			if rsaBits, _ := integerOf(key.inputs, "rsaBits"); rsaBits != 2048 || stringOf(key.inputs, "ecdsaCurve") == "" {
				t.Fatalf("Check did not fill in the defaults: %v", key.inputs)
			}
			for _, secretKey := range []resource.PropertyKey{"privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"} {
				if !isSecret(key.state, secretKey) {
					t.Errorf("%s is not a secret", secretKey)
				}
			}
			if isSecret(key.state, "publicKeyPem") || isSecret(key.state, "publicKeyOpenssh") {
				t.Errorf("the public key is a secret")
			}
			der := pemBlock(t, text(t, key.state, "privateKeyPem"), c.blockType)
			var parsed any
			var err error
			switch c.blockType {
			case "RSA PRIVATE KEY":
				parsed, err = x509.ParsePKCS1PrivateKey(der)
			case "EC PRIVATE KEY":
				parsed, err = x509.ParseECPrivateKey(der)
			default:
				parsed, err = x509.ParsePKCS8PrivateKey(der)
			}
			if err != nil {
				t.Fatalf("privateKeyPem: %v", err)
			}
			c.check(t, parsed)
			pkcs8, err := x509.ParsePKCS8PrivateKey(pemBlock(t, text(t, key.state, "privateKeyPemPkcs8"), "PRIVATE KEY"))
			if err != nil || !pkcs8.(interface{ Equal(crypto.PrivateKey) bool }).Equal(parsed) {
				t.Fatalf("privateKeyPemPkcs8 is not the same key: %v", err)
			}
			publicDER := pemBlock(t, text(t, key.state, "publicKeyPem"), "PUBLIC KEY")
			public, err := x509.ParsePKIXPublicKey(publicDER)
			if err != nil || !public.(interface{ Equal(crypto.PublicKey) bool }).Equal(parsed.(interface{ Public() crypto.PublicKey }).Public()) {
				t.Fatalf("publicKeyPem is not the key's public key: %v", err)
			}
			if sum := sha1.Sum(bytes.TrimSpace(publicDER)); key.id != hex.EncodeToString(sum[:]) {
				t.Errorf("ID %s is not the SHA-1 of the public key", key.id)
			}
			openSSH := text(t, key.state, "privateKeyOpenssh")
			if !c.openSSH {
				for _, empty := range []resource.PropertyKey{"privateKeyOpenssh", "publicKeyOpenssh", "publicKeyFingerprintMd5", "publicKeyFingerprintSha256"} {
					if text(t, key.state, empty) != "" {
						t.Errorf("%s is set for a P-224 key, which OpenSSH has not", empty)
					}
				}
				return
			}
			sshKey, err := ssh.ParseRawPrivateKey([]byte(openSSH))
			if err != nil {
				t.Fatalf("privateKeyOpenssh: %v", err)
			}
			if ed, ok := sshKey.(*ed25519.PrivateKey); ok {
				sshKey = *ed
			}
			if !sshKey.(interface{ Equal(crypto.PrivateKey) bool }).Equal(parsed) {
				t.Fatalf("privateKeyOpenssh is another key")
			}
			authorized, _, _, _, err := ssh.ParseAuthorizedKey([]byte(text(t, key.state, "publicKeyOpenssh")))
			if err != nil {
				t.Fatalf("publicKeyOpenssh: %v", err)
			}
			if text(t, key.state, "publicKeyFingerprintSha256") != ssh.FingerprintSHA256(authorized) ||
				!regexp.MustCompile(`^([0-9a-f]{2}:){15}[0-9a-f]{2}$`).MatchString(text(t, key.state, "publicKeyFingerprintMd5")) {
				t.Errorf("fingerprints %q, %q", text(t, key.state, "publicKeyFingerprintSha256"), text(t, key.state, "publicKeyFingerprintMd5"))
			}
		})
	}
}

// The trust stack's shape: a self-signed root CA, an intermediate CA per cluster from a request signed by it.
type trust struct {
	rootKey, root, intermediateKey, request, intermediate created
}

func rootInputs(t *testing.T, key created) resource.PropertyMap {
	return resource.PropertyMap{
		"privateKeyPem":       secret(str(text(t, key.state, "privateKeyPem"))),
		"subject":             object(resource.PropertyMap{"organization": str("burstmesh"), "commonName": str("Root CA")}),
		"isCaCertificate":     boolean(true),
		"maxPathLength":       num(1),
		"allowedUses":         list(caUses...),
		"validityPeriodHours": num(10),
		"setSubjectKeyId":     boolean(true),
	}
}

func intermediateInputs(t *testing.T, request created, rootKey, root created) resource.PropertyMap {
	return resource.PropertyMap{
		"certRequestPem":      str(text(t, request.state, "certRequestPem")),
		"caPrivateKeyPem":     secret(str(text(t, rootKey.state, "privateKeyPem"))),
		"caCertPem":           str(text(t, root.state, "certPem")),
		"isCaCertificate":     boolean(true),
		"maxPathLength":       num(0),
		"allowedUses":         list(caUses...),
		"validityPeriodHours": num(5),
		"setSubjectKeyId":     boolean(true),
	}
}

func newTrust(h *harness) trust {
	var tr trust
	tr.rootKey = h.create(privateKeyType, "root-key", resource.PropertyMap{"algorithm": str("RSA"), "rsaBits": num(2048)})
	tr.root = h.create(selfSignedCertType, "root-cert", rootInputs(h.t, tr.rootKey))
	tr.intermediateKey = h.create(privateKeyType, "east-intermediate-key", resource.PropertyMap{"algorithm": str("RSA"), "rsaBits": num(2048)})
	tr.request = h.create(certRequestType, "east-intermediate-csr", resource.PropertyMap{
		"privateKeyPem": secret(str(text(h.t, tr.intermediateKey.state, "privateKeyPem"))),
		"subject":       object(resource.PropertyMap{"organization": str("burstmesh"), "commonName": str("Intermediate CA"), "locality": str("east")}),
	})
	tr.intermediate = h.create(locallySignedCertType, "east-intermediate-cert", intermediateInputs(h.t, tr.request, tr.rootKey, tr.root))
	return tr
}

// leaf is a certificate signed by the CA (cert and key), for the DNS name, as istiod issues workload certificates.
func leaf(h *harness, name string, caKey, ca created, isCA bool) (created, created) {
	key := h.create(privateKeyType, name+"-key", resource.PropertyMap{"algorithm": str("ECDSA"), "ecdsaCurve": str("P256")})
	request := h.create(certRequestType, name+"-csr", resource.PropertyMap{
		"privateKeyPem": secret(str(text(h.t, key.state, "privateKeyPem"))),
		"subject":       object(resource.PropertyMap{"commonName": str(name)}),
		"dnsNames":      list(name + ".example"),
	})
	uses := list("digital_signature", "key_encipherment", "server_auth")
	if isCA {
		uses = list(caUses...)
	}
	cert := h.create(locallySignedCertType, name+"-cert", resource.PropertyMap{
		"certRequestPem":      str(text(h.t, request.state, "certRequestPem")),
		"caPrivateKeyPem":     secret(str(text(h.t, caKey.state, "privateKeyPem"))),
		"caCertPem":           str(text(h.t, ca.state, "certPem")),
		"isCaCertificate":     boolean(isCA),
		"allowedUses":         uses,
		"validityPeriodHours": num(1),
	})
	return key, cert
}

func TestTheTrustStacksChainVerifies(t *testing.T) {
	h := newHarness(t)
	tr := newTrust(h)
	root := parseCert(t, text(t, tr.root.state, "certPem"))
	intermediate := parseCert(t, text(t, tr.intermediate.state, "certPem"))

	if !root.IsCA || root.MaxPathLen != 1 || !root.BasicConstraintsValid {
		t.Errorf("root: CA %v, path length %d", root.IsCA, root.MaxPathLen)
	}
	if !intermediate.IsCA || intermediate.MaxPathLen != -1 || intermediate.MaxPathLenZero {
		t.Errorf("intermediate: CA %v, path length %d (zero %v): maxPathLength 0 is left out, as upstream", intermediate.IsCA, intermediate.MaxPathLen, intermediate.MaxPathLenZero)
	}
	for name, cert := range map[string]*x509.Certificate{"root": root, "intermediate": intermediate} {
		if want := x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature; cert.KeyUsage != want || len(cert.ExtKeyUsage) != 0 {
			t.Errorf("%s: key usage %b, extended %v", name, cert.KeyUsage, cert.ExtKeyUsage)
		}
		if len(cert.SubjectKeyId) != sha1.Size {
			t.Errorf("%s: subject key identifier %x", name, cert.SubjectKeyId)
		}
		if cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() > 128 {
			t.Errorf("%s: serial %v is no positive 128-bit number", name, cert.SerialNumber)
		}
		if cert.SignatureAlgorithm != x509.SHA256WithRSA {
			t.Errorf("%s: signed with %v", name, cert.SignatureAlgorithm)
		}
	}
	if root.Subject.String() != "CN=Root CA,O=burstmesh" || len(root.AuthorityKeyId) != 0 {
		t.Errorf("root: subject %q, authority key %x", root.Subject, root.AuthorityKeyId)
	}
	if intermediate.Subject.String() != "CN=Intermediate CA,O=burstmesh,L=east" || intermediate.Issuer.String() != root.Subject.String() {
		t.Errorf("intermediate: subject %q issuer %q", intermediate.Subject, intermediate.Issuer)
	}
	if !bytes.Equal(intermediate.AuthorityKeyId, root.SubjectKeyId) {
		t.Errorf("intermediate's authority key %x is not the root's subject key %x", intermediate.AuthorityKeyId, root.SubjectKeyId)
	}
	if err := intermediate.CheckSignatureFrom(root); err != nil {
		t.Errorf("intermediate not signed by the root: %v", err)
	}

	for name, c := range map[string]created{"root": tr.root, "intermediate": tr.intermediate} {
		cert := parseCert(t, text(t, c.state, "certPem"))
		if c.id != cert.SerialNumber.String() {
			t.Errorf("%s: ID %s is not the serial %s", name, c.id, cert.SerialNumber)
		}
		start, err1 := time.Parse(time.RFC3339, text(t, c.state, "validityStartTime"))
		end, err2 := time.Parse(time.RFC3339, text(t, c.state, "validityEndTime"))
		hours, _ := integerOf(c.inputs, "validityPeriodHours")
		if err := errors.Join(err1, err2); err != nil || !start.Truncate(time.Second).Equal(cert.NotBefore) || !end.Truncate(time.Second).Equal(cert.NotAfter) ||
			cert.NotAfter.Sub(cert.NotBefore) != time.Duration(hours)*time.Hour || time.Since(start) > time.Minute {
			t.Errorf("%s: validity %v..%v, state %s..%s (%v)", name, cert.NotBefore, cert.NotAfter, text(t, c.state, "validityStartTime"), text(t, c.state, "validityEndTime"), err)
		}
		if ready, _ := given(c.state, "readyForRenewal"); !ready.IsBool() || ready.BoolValue() {
			t.Errorf("%s: readyForRenewal %v", name, ready)
		}
		if isSecret(c.state, "certPem") {
			t.Errorf("%s: certPem is a secret", name)
		}
		if early, _ := integerOf(c.state, "earlyRenewalHours"); early != 0 || !boolOf(c.state, "isCaCertificate") {
			t.Errorf("%s: state lacks the defaults: %v", name, c.state)
		}
	}
	if text(t, tr.root.state, "keyAlgorithm") != "RSA" || !isSecret(tr.root.state, "privateKeyPem") {
		t.Errorf("root state: keyAlgorithm %q, privateKeyPem secret %v", text(t, tr.root.state, "keyAlgorithm"), isSecret(tr.root.state, "privateKeyPem"))
	}
	if text(t, tr.intermediate.state, "caKeyAlgorithm") != "RSA" || !isSecret(tr.intermediate.state, "caPrivateKeyPem") {
		t.Errorf("intermediate state: caKeyAlgorithm %q, caPrivateKeyPem secret %v", text(t, tr.intermediate.state, "caKeyAlgorithm"), isSecret(tr.intermediate.state, "caPrivateKeyPem"))
	}

	request, err := x509.ParseCertificateRequest(pemBlock(t, text(t, tr.request.state, "certRequestPem"), "CERTIFICATE REQUEST"))
	if err != nil || request.CheckSignature() != nil || request.Subject.String() != intermediate.Subject.String() || text(t, tr.request.state, "keyAlgorithm") != "RSA" {
		t.Errorf("certificate request: %v, subject %q", err, request.Subject)
	}

	roots, intermediates := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root)
	intermediates.AddCert(intermediate)
	_, workload := leaf(h, "workload", tr.intermediateKey, tr.intermediate, false)
	workloadCert := parseCert(t, text(t, workload.state, "certPem"))
	if _, err := workloadCert.Verify(x509.VerifyOptions{DNSName: "workload.example", Roots: roots, Intermediates: intermediates}); err != nil {
		t.Errorf("a workload certificate from the intermediate does not verify: %v", err)
	}

	// The root's path length allows one CA below it: a CA from the intermediate issues nothing that verifies.
	subCAKey, subCA := leaf(h, "sub-ca", tr.intermediateKey, tr.intermediate, true)
	_, below := leaf(h, "below", subCAKey, subCA, false)
	intermediates.AddCert(parseCert(t, text(t, subCA.state, "certPem")))
	_, err = parseCert(t, text(t, below.state, "certPem")).Verify(x509.VerifyOptions{DNSName: "below.example", Roots: roots, Intermediates: intermediates})
	var invalid x509.CertificateInvalidError
	if !errors.As(err, &invalid) || invalid.Reason != x509.TooManyIntermediates {
		t.Errorf("below a sub-CA: want too many intermediates, got %v", err)
	}
}

func TestCertificatesFollowTheirInputs(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		algorithm resource.PropertyMap
		signature x509.SignatureAlgorithm
	}{
		{resource.PropertyMap{"algorithm": str("ECDSA"), "ecdsaCurve": str("P384")}, x509.ECDSAWithSHA384},
		{resource.PropertyMap{"algorithm": str("ED25519")}, x509.PureEd25519},
	} {
		key := h.create(privateKeyType, "key", c.algorithm)
		cert := h.create(selfSignedCertType, "cert", resource.PropertyMap{
			"privateKeyPem": secret(str(text(t, key.state, "privateKeyPem"))),
			"subject": object(resource.PropertyMap{
				"commonName": str("leaf"), "country": str("DE"), "province": str("Berlin"), "locality": str("Berlin"),
				"streetAddresses": list("Street 1", "Floor 2"), "postalCode": str("10115"), "organization": str("burstmesh"),
				"organizationalUnit": str("mesh"), "serialNumber": str("42"), "emailAddress": str("ops@example.com"),
			}),
			"dnsNames":            list("a.example", "b.example"),
			"ipAddresses":         list("10.0.0.1", "::1"),
			"uris":                list("spiffe://cluster.local/ns/default/sa/app"),
			"allowedUses":         list("digital_signature", "server_auth", "client_auth"),
			"validityPeriodHours": num(2),
			"setSubjectKeyId":     boolean(true),
			"setAuthorityKeyId":   boolean(true),
		})
		parsed := parseCert(t, text(t, cert.state, "certPem"))
		// Go's pkix.Name shows the RDNs last first, the email address last and re-encoded: its tag is read raw.
		wantSubject := "SERIALNUMBER=42,CN=leaf,OU=mesh,O=burstmesh,POSTALCODE=10115,STREET=Floor 2+STREET=Street 1,L=Berlin,ST=Berlin,C=DE,1.2.840.113549.1.9.1=#0c0f6f7073406578616d706c652e636f6d"
		emailIA5, _ := asn1.Marshal(struct {
			Type  asn1.ObjectIdentifier
			Value asn1.RawValue
		}{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte("ops@example.com")}})
		if parsed.Subject.String() != wantSubject || !bytes.Contains(parsed.RawSubject, emailIA5) {
			t.Errorf("subject %q, want %q with the email address an IA5String", parsed.Subject, wantSubject)
		}
		if parsed.IsCA || parsed.KeyUsage != x509.KeyUsageDigitalSignature ||
			!slices.Equal(parsed.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}) {
			t.Errorf("CA %v, key usage %b, extended %v", parsed.IsCA, parsed.KeyUsage, parsed.ExtKeyUsage)
		}
		if !slices.Equal(parsed.DNSNames, []string{"a.example", "b.example"}) || len(parsed.IPAddresses) != 2 || !parsed.IPAddresses[1].Equal(net.IPv6loopback) ||
			len(parsed.URIs) != 1 || parsed.URIs[0].String() != "spiffe://cluster.local/ns/default/sa/app" {
			t.Errorf("alternative names %v %v %v", parsed.DNSNames, parsed.IPAddresses, parsed.URIs)
		}
		if parsed.SignatureAlgorithm != c.signature {
			t.Errorf("signed with %v, want %v", parsed.SignatureAlgorithm, c.signature)
		}
		if !bytes.Equal(parsed.AuthorityKeyId, parsed.SubjectKeyId) || len(parsed.SubjectKeyId) == 0 {
			t.Errorf("self-signed authority key %x, subject key %x", parsed.AuthorityKeyId, parsed.SubjectKeyId)
		}
		if ed, ok := parsed.PublicKey.(ed25519.PublicKey); ok {
			octets, _ := asn1.Marshal([]byte(ed))
			if sum := sha1.Sum(octets); !bytes.Equal(parsed.SubjectKeyId, sum[:]) {
				t.Errorf("Ed25519 subject key %x is not the upstream's (SHA-1 of the key as an OCTET STRING)", parsed.SubjectKeyId)
			}
		}
	}
}

func TestCreateRefusesWhatTheUpstreamRefuses(t *testing.T) {
	h := newHarness(t)
	key := h.create(privateKeyType, "key", resource.PropertyMap{"algorithm": str("ECDSA"), "ecdsaCurve": str("P256")})
	keyPEM := secret(str(text(t, key.state, "privateKeyPem")))
	base := func(extra resource.PropertyMap) resource.PropertyMap {
		inputs := resource.PropertyMap{"privateKeyPem": keyPEM, "allowedUses": list("cert_signing"), "validityPeriodHours": num(1)}
		for k, v := range extra {
			inputs[k] = v
		}
		return inputs
	}
	for name, c := range map[string]struct {
		inputs resource.PropertyMap
		want   string
	}{
		"a CA without a subject":                     {base(resource.PropertyMap{"isCaCertificate": boolean(true)}), "at least one Distinguished Name"},
		"a path length on no CA":                     {base(resource.PropertyMap{"maxPathLength": num(2)}), "only CAs are allowed to specify MaxPathLen"},
		"an authority key without a subject key":     {base(resource.PropertyMap{"setAuthorityKeyId": boolean(true)}), "Authority Key Identifier"},
		"an IP address that is none":                 {base(resource.PropertyMap{"ipAddresses": list("10.0.0.256")}), `invalid IP address: failed to parse "10.0.0.256"`},
		"a public key for the private key":           {base(resource.PropertyMap{"privateKeyPem": str(text(t, key.state, "publicKeyPem"))}), "unable to determine parser for PEM preamble: PUBLIC KEY"},
		"an OpenSSH key (no PEM the upstream reads)": {base(resource.PropertyMap{"privateKeyPem": str(text(t, key.state, "privateKeyOpenssh"))}), "unsupported PEM preamble/type: OPENSSH PRIVATE KEY"},
	} {
		if _, err := h.tryCreate(selfSignedCertType, "cert", c.inputs); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want an error with %q, got %v", name, c.want, err)
		}
	}

	// A CA certificate that is no CA only warns, as upstream.
	notCA := h.create(selfSignedCertType, "not-ca", base(resource.PropertyMap{"subject": object(resource.PropertyMap{"commonName": str("x")})}))
	request := h.create(certRequestType, "csr", resource.PropertyMap{"privateKeyPem": keyPEM})
	signed := h.create(locallySignedCertType, "signed", resource.PropertyMap{
		"certRequestPem": str(text(t, request.state, "certRequestPem")), "caPrivateKeyPem": keyPEM,
		"caCertPem": str(text(t, notCA.state, "certPem")), "allowedUses": list("server_auth"), "validityPeriodHours": num(1),
	})
	if err := parseCert(t, text(t, signed.state, "certPem")).CheckSignatureFrom(parseCert(t, text(t, notCA.state, "certPem"))); err == nil {
		t.Errorf("Go accepted a signature from a certificate that is no CA")
	}
	otherKey := h.create(privateKeyType, "other", resource.PropertyMap{"algorithm": str("ED25519")})
	mismatched := resource.PropertyMap{
		"certRequestPem": str(text(t, request.state, "certRequestPem")), "caPrivateKeyPem": secret(str(text(t, otherKey.state, "privateKeyPem"))),
		"caCertPem": str(text(t, notCA.state, "certPem")), "allowedUses": list("server_auth"), "validityPeriodHours": num(1),
	}
	if _, err := h.tryCreate(locallySignedCertType, "mismatched", mismatched); err == nil || !strings.Contains(err.Error(), "doesn't match parent's PublicKey") {
		t.Errorf("a CA key that is not the CA certificate's: %v", err)
	}
}

func TestCheckValidatesAndFillsInDefaults(t *testing.T) {
	h := newHarness(t)
	checked := h.checked(selfSignedCertType, "cert", resource.PropertyMap{
		"privateKeyPem": secret(computed()), "allowedUses": list("cert_signing"), "validityPeriodHours": num(1),
	})
	for key, want := range map[resource.PropertyKey]resource.PropertyValue{
		"earlyRenewalHours": num(0), "isCaCertificate": boolean(false), "setSubjectKeyId": boolean(false), "setAuthorityKeyId": boolean(false),
	} {
		if !checked[key].DeepEquals(want) {
			t.Errorf("%s: %v, want the default %v", key, checked[key], want)
		}
	}
	if _, ok := checked["maxPathLength"]; ok {
		t.Errorf("maxPathLength has no default, got %v", checked["maxPathLength"])
	}
	if !checked["privateKeyPem"].IsSecret() {
		t.Errorf("the secret input is no secret after Check")
	}

	for name, c := range map[string]struct {
		token  string
		inputs resource.PropertyMap
		want   map[string]string
	}{
		"no algorithm": {privateKeyType, resource.PropertyMap{}, map[string]string{"algorithm": "Missing required property 'algorithm'"}},
		"an unknown algorithm and curve": {privateKeyType, resource.PropertyMap{"algorithm": str("DSA"), "ecdsaCurve": str("P192")},
			map[string]string{"algorithm": `"DSA" is not one of RSA, ECDSA, ED25519`, "ecdsaCurve": `"P192" is not one of P224, P256, P384, P521`}},
		"camelCase key usages and a bad validity": {selfSignedCertType, resource.PropertyMap{
			"privateKeyPem": str("x"), "allowedUses": list("certSigning"), "validityPeriodHours": num(1.5), "earlyRenewalHours": num(-1),
		}, map[string]string{
			"allowedUses": `element 0: "certSigning" is not one of any_extended, cert_signing,`, "validityPeriodHours": "must be a whole number",
			"earlyRenewalHours": "must be at least 0, got -1",
		}},
		"a write-only key and an unknown input": {certRequestType, resource.PropertyMap{"privateKeyPemWo": str("x"), "privateKeyPemWoVersion": num(1), "colour": str("x")},
			map[string]string{
				"privateKeyPem": "Missing required property", "privateKeyPemWo": "write-only key inputs are not supported", "privateKeyPemWoVersion": "pass the key as privateKeyPem",
				"colour": "colour is not an input of tls:index/certRequest:CertRequest",
			}},
		"a subject field that is none and empty IP addresses": {certRequestType, resource.PropertyMap{
			"privateKeyPem": str("x"), "subject": object(resource.PropertyMap{"name": str("x")}), "ipAddresses": list(""),
		}, map[string]string{"subject": "has no field name", "ipAddresses": "element 0 must not be empty"}},
	} {
		_, failures := h.check(c.token, "r", c.inputs)
		if len(failures) != len(c.want) {
			t.Errorf("%s: failures %v, want %d", name, failures, len(c.want))
		}
		for property, want := range c.want {
			if !strings.Contains(failures[property], want) {
				t.Errorf("%s: %s: %q, want %q", name, property, failures[property], want)
			}
		}
	}
}

func diffKinds(resp *pulumirpc.DiffResponse) map[string]pulumirpc.PropertyDiff_Kind {
	kinds := map[string]pulumirpc.PropertyDiff_Kind{}
	for path, d := range resp.DetailedDiff {
		kinds[path] = d.Kind
	}
	return kinds
}

func with(inputs resource.PropertyMap, changes resource.PropertyMap) resource.PropertyMap {
	changed := inputs.Copy()
	for k, v := range changes {
		if v.IsNull() {
			delete(changed, k)
		} else {
			changed[k] = v
		}
	}
	return changed
}

func TestDiffReplacesAsTheUpstreamPlans(t *testing.T) {
	h := newHarness(t)
	tr := newTrust(h)
	rootIn, intermediateIn := rootInputs(h.t, tr.rootKey), intermediateInputs(h.t, tr.request, tr.rootKey, tr.root)
	replace, update := pulumirpc.PropertyDiff_UPDATE_REPLACE, pulumirpc.PropertyDiff_UPDATE
	for name, c := range map[string]struct {
		token    string
		resource created
		news     resource.PropertyMap
		want     map[string]pulumirpc.PropertyDiff_Kind
	}{
		"the root unchanged":      {selfSignedCertType, tr.root, rootIn, nil},
		"the root, a new subject": {selfSignedCertType, tr.root, with(rootIn, resource.PropertyMap{"subject": object(resource.PropertyMap{"organization": str("burstmesh"), "commonName": str("Root CA 2")})}), map[string]pulumirpc.PropertyDiff_Kind{"subject": replace}},
		"the root, early renewal": {selfSignedCertType, tr.root, with(rootIn, resource.PropertyMap{"earlyRenewalHours": num(1)}), map[string]pulumirpc.PropertyDiff_Kind{"earlyRenewalHours": update}},
		"the root, early renewal of its whole validity": {selfSignedCertType, tr.root, with(rootIn, resource.PropertyMap{"earlyRenewalHours": num(10)}),
			map[string]pulumirpc.PropertyDiff_Kind{"earlyRenewalHours": update, "readyForRenewal": replace}},
		"the root, no path length given": {selfSignedCertType, tr.root, with(rootIn, resource.PropertyMap{"maxPathLength": resource.NewNullProperty()}), nil},
		"the root, another path length":  {selfSignedCertType, tr.root, with(rootIn, resource.PropertyMap{"maxPathLength": num(2)}), map[string]pulumirpc.PropertyDiff_Kind{"maxPathLength": replace}},
		"the root, a key not yet known":  {selfSignedCertType, tr.root, with(rootIn, resource.PropertyMap{"privateKeyPem": secret(computed())}), map[string]pulumirpc.PropertyDiff_Kind{"privateKeyPem": replace}},
		"the root, DNS names added":      {selfSignedCertType, tr.root, with(rootIn, resource.PropertyMap{"dnsNames": list("x.example")}), map[string]pulumirpc.PropertyDiff_Kind{"dnsNames": pulumirpc.PropertyDiff_ADD_REPLACE}},
		"the root, a longer validity":    {selfSignedCertType, tr.root, with(rootIn, resource.PropertyMap{"validityPeriodHours": num(20)}), map[string]pulumirpc.PropertyDiff_Kind{"validityPeriodHours": replace}},
		"the intermediate unchanged":     {locallySignedCertType, tr.intermediate, intermediateIn, nil},
		"the intermediate, a new root":   {locallySignedCertType, tr.intermediate, with(intermediateIn, resource.PropertyMap{"caCertPem": computed()}), map[string]pulumirpc.PropertyDiff_Kind{"caCertPem": replace}},
		"the intermediate, other uses":   {locallySignedCertType, tr.intermediate, with(intermediateIn, resource.PropertyMap{"allowedUses": list("cert_signing")}), map[string]pulumirpc.PropertyDiff_Kind{"allowedUses": replace}},
		"the intermediate, early renewal": {locallySignedCertType, tr.intermediate, with(intermediateIn, resource.PropertyMap{"earlyRenewalHours": num(2)}),
			map[string]pulumirpc.PropertyDiff_Kind{"earlyRenewalHours": update}},
		"the intermediate, no CA":       {locallySignedCertType, tr.intermediate, with(intermediateIn, resource.PropertyMap{"isCaCertificate": resource.NewNullProperty(), "maxPathLength": resource.NewNullProperty()}), map[string]pulumirpc.PropertyDiff_Kind{"isCaCertificate": replace}},
		"the root key unchanged":        {privateKeyType, tr.rootKey, resource.PropertyMap{"algorithm": str("RSA"), "rsaBits": num(2048)}, nil},
		"the root key, 4096 bits":       {privateKeyType, tr.rootKey, resource.PropertyMap{"algorithm": str("RSA"), "rsaBits": num(4096)}, map[string]pulumirpc.PropertyDiff_Kind{"rsaBits": replace}},
		"the request, another locality": {certRequestType, tr.request, resource.PropertyMap{"privateKeyPem": tr.request.inputs["privateKeyPem"], "subject": object(resource.PropertyMap{"organization": str("burstmesh"), "commonName": str("Intermediate CA"), "locality": str("west")})}, map[string]pulumirpc.PropertyDiff_Kind{"subject": replace}},
	} {
		resp := h.diff(c.token, "r", c.resource, c.news)
		var wantReplaces []string
		for path, kind := range c.want {
			if kind == replace || kind == pulumirpc.PropertyDiff_ADD_REPLACE {
				wantReplaces = append(wantReplaces, path)
			}
		}
		slices.Sort(wantReplaces)
		gotReplaces := slices.Sorted(slices.Values(resp.Replaces))
		wantChanges := pulumirpc.DiffResponse_DIFF_SOME
		if len(c.want) == 0 {
			wantChanges = pulumirpc.DiffResponse_DIFF_NONE
		}
		if resp.Changes != wantChanges || !mapsEqual(diffKinds(resp), c.want) || !slices.Equal(gotReplaces, wantReplaces) || resp.DeleteBeforeReplace {
			t.Errorf("%s: changes %v, detailed %v, replaces %v; want %v, %v", name, resp.Changes, diffKinds(resp), resp.Replaces, c.want, wantReplaces)
		}
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestACertificateNearItsEndIsRenewed(t *testing.T) {
	h := newHarness(t)
	key := h.create(privateKeyType, "key", resource.PropertyMap{"algorithm": str("ECDSA"), "ecdsaCurve": str("P256")})
	inputs := resource.PropertyMap{
		"privateKeyPem": secret(str(text(t, key.state, "privateKeyPem"))), "subject": object(resource.PropertyMap{"commonName": str("ca")}),
		"isCaCertificate": boolean(true), "allowedUses": list("cert_signing"), "validityPeriodHours": num(10), "earlyRenewalHours": num(1),
	}
	// Issued 9.5 hours ago: half an hour left, within the hour of early renewal.
	now = func() time.Time { return time.Now().Add(-9*time.Hour - 30*time.Minute) }
	old := h.create(selfSignedCertType, "ca", inputs)
	now = time.Now

	if kinds := diffKinds(h.diff(selfSignedCertType, "ca", old, inputs)); !mapsEqual(kinds, map[string]pulumirpc.PropertyDiff_Kind{"readyForRenewal": pulumirpc.PropertyDiff_UPDATE_REPLACE}) {
		t.Errorf("within the early renewal period: %v, want a replacement for readyForRenewal", kinds)
	}
	if kinds := diffKinds(h.diff(selfSignedCertType, "ca", old, with(inputs, resource.PropertyMap{"earlyRenewalHours": num(0)}))); !mapsEqual(kinds, map[string]pulumirpc.PropertyDiff_Kind{"earlyRenewalHours": pulumirpc.PropertyDiff_UPDATE}) {
		t.Errorf("without early renewal, still valid: %v, want an update of earlyRenewalHours", kinds)
	}

	read := func(c created) resource.PropertyMap {
		resp, err := h.server.Read(context.Background(), &pulumirpc.ReadRequest{Urn: urnOf(selfSignedCertType, "ca"), Id: c.id, Properties: h.marshal(c.state), Inputs: h.marshal(c.inputs)})
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if resp.Id != c.id || !h.unmarshal(resp.Inputs).DeepEquals(c.inputs) {
			t.Errorf("Read changed the ID or the inputs")
		}
		return h.unmarshal(resp.Properties)
	}
	if state := read(old); !boolOf(state, "readyForRenewal") || text(t, state, "certPem") != text(t, old.state, "certPem") || !isSecret(state, "privateKeyPem") {
		t.Errorf("a refresh within the early renewal period: readyForRenewal %v (want true), same certificate, key secret", state["readyForRenewal"])
	}
	fresh := h.create(selfSignedCertType, "ca", inputs)
	if state := read(fresh); boolOf(state, "readyForRenewal") {
		t.Errorf("a refresh of a fresh certificate: readyForRenewal true")
	}
	if _, err := h.server.Read(context.Background(), &pulumirpc.ReadRequest{Urn: urnOf(selfSignedCertType, "ca"), Id: "1"}); err == nil || !strings.Contains(err.Error(), "cannot be imported") {
		t.Errorf("an import: %v", err)
	}
}

func TestUpdateChangesOnlyEarlyRenewal(t *testing.T) {
	h := newHarness(t)
	tr := newTrust(h)
	news := h.checked(locallySignedCertType, "r", with(intermediateInputs(h.t, tr.request, tr.rootKey, tr.root), resource.PropertyMap{"earlyRenewalHours": num(2), "maxPathLength": resource.NewNullProperty()}))
	for _, preview := range []bool{true, false} {
		resp, err := h.server.Update(context.Background(), &pulumirpc.UpdateRequest{
			Urn: urnOf(locallySignedCertType, "r"), Id: tr.intermediate.id, Olds: h.marshal(tr.intermediate.state),
			OldInputs: h.marshal(tr.intermediate.inputs), News: h.marshal(news), Preview: preview,
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		state := h.unmarshal(resp.Properties)
		early, _ := integerOf(state, "earlyRenewalHours")
		pathLength, kept := integerOf(state, "maxPathLength")
		if early != 2 || text(t, state, "certPem") != text(t, tr.intermediate.state, "certPem") || boolOf(state, "readyForRenewal") ||
			!kept || pathLength != 0 || !isSecret(state, "caPrivateKeyPem") || text(t, state, "validityEndTime") != text(t, tr.intermediate.state, "validityEndTime") {
			t.Errorf("preview %v: state after the update %v", preview, state)
		}
	}
}

func TestPreviewLeavesComputedOutputsUnknown(t *testing.T) {
	h := newHarness(t)
	inputs := h.checked(locallySignedCertType, "r", resource.PropertyMap{
		"certRequestPem": computed(), "caPrivateKeyPem": secret(computed()), "caCertPem": computed(),
		"allowedUses": list(caUses...), "validityPeriodHours": num(5), "isCaCertificate": boolean(true),
	})
	resp, err := h.server.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urnOf(locallySignedCertType, "r"), Properties: h.marshal(inputs), Preview: true})
	if err != nil {
		t.Fatalf("Create preview: %v", err)
	}
	state := h.unmarshal(resp.Properties)
	if resp.Id != "" || !state["certPem"].IsComputed() || !state["validityEndTime"].IsComputed() || !state["caCertPem"].IsComputed() ||
		!state["readyForRenewal"].IsBool() || state["readyForRenewal"].BoolValue() || !state["isCaCertificate"].BoolValue() {
		t.Errorf("preview: ID %q, state %v", resp.Id, state)
	}
}

func TestPluginInfoAndSchema(t *testing.T) {
	h := newHarness(t)
	info, err := h.server.GetPluginInfo(context.Background(), &emptypb.Empty{})
	if err != nil || info.Version != version {
		t.Fatalf("GetPluginInfo: %v %v", info, err)
	}
	resp, err := h.server.GetSchema(context.Background(), &pulumirpc.GetSchemaRequest{})
	if err != nil {
		t.Fatalf("GetSchema: %v", err)
	}
	type property struct {
		Type    string `json:"type"`
		Ref     string `json:"$ref"`
		Secret  bool   `json:"secret"`
		Default any    `json:"default"`
	}
	var schema struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		Resources map[string]struct {
			Properties      map[string]property `json:"properties"`
			InputProperties map[string]property `json:"inputProperties"`
			RequiredInputs  []string            `json:"requiredInputs"`
		} `json:"resources"`
		Types map[string]struct {
			Properties map[string]property `json:"properties"`
		} `json:"types"`
	}
	if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil {
		t.Fatalf("schema: %v", err)
	}
	if schema.Name != "tls" || schema.Version != version || len(schema.Resources) != 4 {
		t.Fatalf("schema %s %s with %d resources", schema.Name, schema.Version, len(schema.Resources))
	}
	privateKey, signed := schema.Resources[privateKeyType], schema.Resources[locallySignedCertType]
	if !privateKey.Properties["privateKeyPem"].Secret || !privateKey.Properties["privateKeyPemPkcs8"].Secret || privateKey.Properties["publicKeyPem"].Secret {
		t.Errorf("PrivateKey secrets: %v", privateKey.Properties)
	}
	if !signed.InputProperties["caPrivateKeyPem"].Secret || signed.InputProperties["earlyRenewalHours"].Default != 0.0 ||
		!slices.Equal(slices.Sorted(slices.Values(signed.RequiredInputs)), []string{"allowedUses", "caCertPem", "caPrivateKeyPem", "certRequestPem", "validityPeriodHours"}) {
		t.Errorf("LocallySignedCert inputs: %v, required %v", signed.InputProperties, signed.RequiredInputs)
	}
	subject := schema.Resources[selfSignedCertType].InputProperties["subject"].Ref
	if fields := schema.Types[strings.TrimPrefix(subject, "#/types/")].Properties; len(fields) != len(subjectFields) || fields["streetAddresses"].Type != "array" {
		t.Errorf("subject %s: %v", subject, fields)
	}
}
