package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
	"github.com/knocker/knocker/knock/spa"
)

// lookupServer is an HTTPS "what is my address" service in the lab's router
// namespace, answering with the address each request comes from, as the
// services fwknop -R asks do.
type lookupServer struct {
	url    string
	caFile string // its certificate, for SSL_CERT_FILE
	hits   atomic.Int64
}

func startLookupServer(t *testing.T, l *lab) *lookupServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "knocker lab lookup"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{labRouter4.AsSlice()},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	s := &lookupServer{caFile: filepath.Join(t.TempDir(), "lab-ca.pem")}
	if err := os.WriteFile(s.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	if err := inNetns(l.router, func() (err error) {
		ln, err = net.Listen("tcp", net.JoinHostPort(labRouter4.String(), "0"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.hits.Add(1)
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			fmt.Fprintln(w, host)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	s.url = "https://" + ln.Addr().String() + "/myip"
	return s
}

// TestLabSPAAllowModes: fwknopd with REQUIRE_SOURCE_ADDRESS Y opens for
// the packets of a profile that names the client's address and of one that
// looks it up over HTTPS (a service in the lab), and refuses the 0.0.0.0
// packet of one that leaves it to the packet's source. All through the
// binary, with the profiles in a KNOCKER_PROFILES file.
func TestLabSPAAllowModes(t *testing.T) {
	t.Parallel()
	needFwknopd(t)
	l := newLab(t)
	keys, err := spa.GenerateKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := startFwknopd(t, l, keys, "REQUIRE_SOURCE_ADDRESS Y")
	lookup := startLookupServer(t, l)
	k, h := keys.Base64()
	profile := func(name, allow string) string {
		return fmt.Sprintf(`{"name": %q, "host": %q, "family": "ipv4", "spa": {"key_base64": %q, "hmac_key_base64": %q, "access": "tcp/%d", %s}}`,
			name, labRouter4, k, h, labPort, allow)
	}
	doc := fmt.Sprintf(`{"version": 4, "profiles": [%s, %s, %s]}`,
		profile("given", fmt.Sprintf(`"allow_ip": %q`, labClient4)),
		profile("looked-up", fmt.Sprintf(`"allow_ip": "resolve", "resolve_url": %q`, lookup.url)),
		profile("source", `"allow_ip": "source"`))
	declareProfileSecrets(t, doc)
	file := filepath.Join(t.TempDir(), "profiles.json")
	writeSecret(t, file, doc)
	env := append([]string{"KNOCKER_PROFILES=" + file, "KNOCKER_CONFIG_DIR=" + t.TempDir(), "SSL_CERT_FILE=" + lookup.caFile}, noDisplay...)

	knockAndWait := func(name, want string) string {
		t.Helper()
		mark := len(d.log.String())
		if res := testbin.RunIn(t, nsExec(l.client), env, "knock", name); res.Code != 0 {
			t.Fatalf("knocker knock %s: exit %d, %q", name, res.Code, res.Stderr)
		}
		var since string
		if !waitFor(5*time.Second, func() bool { since = d.log.String()[mark:]; return strings.Contains(since, want) }) {
			t.Fatalf("%s: fwknopd did not log %q; it logged:\n%s", name, want, since)
		}
		return since
	}
	opensForClient := func(name string) {
		t.Helper()
		knockAndWait(name, fmt.Sprintf("Added access rule to FWKNOP_INPUT for %s", labClient4))
		if !waitFor(2*time.Second, func() bool { return l.open(labRouter4) }) {
			t.Fatalf("%s: fwknopd added a rule but the port did not open", name)
		}
		// The next knock starts from a shut port.
		if !waitFor(spaTimeout+5*time.Second, func() bool { return !l.open(labRouter4) }) {
			t.Fatalf("%s: the port did not close again", name)
		}
	}

	if l.open(labRouter4) {
		t.Fatal("the port is open before any knock")
	}
	opensForClient("given")
	if lookup.hits.Load() != 0 {
		t.Fatal("a profile with a given address looked its address up")
	}
	opensForClient("looked-up")
	if n := lookup.hits.Load(); n != 1 {
		t.Fatalf("the lookup service saw %d requests, want 1", n)
	}
	knockAndWait("source", "Got 0.0.0.0 when valid source IP was required")
	time.Sleep(300 * time.Millisecond) // a wrongly accepted packet would open the port by now
	if l.open(labRouter4) {
		t.Fatal("fwknopd opened for a 0.0.0.0 packet despite REQUIRE_SOURCE_ADDRESS Y")
	}
}
