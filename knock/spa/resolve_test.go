package spa

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// ParseResolveReply reads replies as fwknop's client does: the address at
// the very start of the body, whatever follows its digits and dots.
func TestParseResolveReply(t *testing.T) {
	tests := []struct {
		body, want, err string
	}{
		{body: "203.0.113.9", want: "203.0.113.9"},
		{body: "203.0.113.9\n", want: "203.0.113.9"},
		{body: "198.51.100.200\r\n", want: "198.51.100.200"},
		{body: "192.0.2.1<br>\n", want: "192.0.2.1"},
		{body: "255.255.255.255 and more", want: "255.255.255.255"},
		{body: "", err: "does not start with an IPv4 address"},
		{body: " 203.0.113.9", err: "does not start with an IPv4 address"},
		{body: "<html>203.0.113.9</html>", err: "does not start with an IPv4 address"},
		{body: "2001:db8::1\n", err: "not an IPv4 address"},
		{body: "256.1.1.1", err: "not an IPv4 address"},
		{body: "1.2.3", err: "not an IPv4 address"},
		{body: "1.2.3.4.5", err: "not an IPv4 address"},
		{body: "0.0.0.0\n", err: "is 0.0.0.0"},
		// fwknop looks at 16 characters at most.
		{body: "1.2.3.4" + strings.Repeat("0", 20), err: "not an IPv4 address"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			a, err := ParseResolveReply([]byte(tt.body))
			switch {
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("got %v, %v; want an error with %q", a, err, tt.err)
			case tt.err == "" && (err != nil || a != netip.MustParseAddr(tt.want)):
				t.Fatalf("got %v, %v; want %s", a, err, tt.want)
			}
		})
	}
}

func FuzzParseResolveReply(f *testing.F) {
	for _, s := range []string{"203.0.113.9\n", "1.2.3.4.5", "", "0.0.0.0", "999.1.1.1<br>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseResolveReply(body)
		if err == nil && (!a.Is4() || a.IsUnspecified() || !strings.HasPrefix(string(body), a.String())) {
			t.Fatalf("%q read as %v", body, a)
		}
	})
}

// The lookup runs against a real HTTPS server on loopback, trusting only
// that server's certificate.
func TestResolveAllowIP(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/myip", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("198.51.100.7\n")) })
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<p>Your IP: 198.51.100.7</p>")) })
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "198.51.100.7", http.StatusNotFound) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/myip", http.StatusFound) })
	mux.HandleFunc("/downgrade", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+r.Host+"/myip", http.StatusFound)
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	plain := httptest.NewServer(mux)
	defer plain.Close()

	tests := []struct{ url, want, err string }{
		{url: srv.URL + "/myip", want: "198.51.100.7"},
		{url: srv.URL + "/moved", want: "198.51.100.7"},
		{url: srv.URL + "/html", err: "does not start with an IPv4 address"},
		{url: srv.URL + "/gone", err: "the server answered 404 Not Found"},
		{url: srv.URL + "/downgrade", err: "redirected away from https"},
		{url: plain.URL + "/myip", err: "must start with https://"},
		{url: "https://user:pw@" + strings.TrimPrefix(srv.URL, "https://") + "/myip", err: "must not hold a user name"},
		{url: "", err: "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			a, err := ResolveAllowIP(context.Background(), srv.Client(), tt.url)
			switch {
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("got %v, %v; want an error with %q", a, err, tt.err)
			case tt.err == "" && (err != nil || a != netip.MustParseAddr(tt.want)):
				t.Fatalf("got %v, %v; want %s", a, err, tt.want)
			}
		})
	}

	// A certificate the client does not trust is refused: the reply decides
	// who the server lets in.
	_, err := ResolveAllowIP(context.Background(), nil, srv.URL+"/myip")
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate: %v", err)
	}
	// A cancelled knock does not wait for the lookup.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ResolveAllowIP(ctx, srv.Client(), srv.URL+"/myip"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
