package spa

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// FwknopResolveURL is the service fwknop -R asks for the client's public
// address when no URL is set. Knocker never contacts it unless a user
// chooses it (in the editor, or through RESOLVE_URL-less "ALLOW_IP resolve"
// in an imported .fwknoprc, which says so).
const FwknopResolveURL = "https://www.cipherdyne.org/cgi-bin/myip"

// maxResolveReply is how much of a lookup's reply is read: fwknop reads one
// line of at most 16 characters.
const maxResolveReply = 1 << 10

// ResolveTimeout bounds one lookup, on top of the caller's context.
const ResolveTimeout = 10 * time.Second

// CheckResolveURL reports why rawURL cannot be a lookup URL: it must be an
// absolute https URL with a host, since the address it returns decides who
// the server lets in.
func CheckResolveURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	switch {
	case rawURL == "":
		return errors.New("missing (an https URL that returns your public address)")
	case err != nil:
		return errors.New("not a URL")
	case !strings.EqualFold(u.Scheme, "https"):
		return errors.New("must start with https:// (the reply decides which address the server lets in)")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("has no host")
	case u.User != nil:
		return errors.New("must not hold a user name or password")
	case len(rawURL) > 2048:
		return errors.New("longer than 2048 bytes")
	}
	return nil
}

// ResolveAllowIP looks up this machine's public IPv4 address as fwknop -R
// does: an HTTPS GET of rawURL whose reply body starts with the address.
// client nil means a client with the system's certificate authorities and
// proxy settings. Redirects must stay on https.
func ResolveAllowIP(ctx context.Context, client *http.Client, rawURL string) (netip.Addr, error) {
	if err := CheckResolveURL(rawURL); err != nil {
		return netip.Addr{}, fmt.Errorf("address lookup URL %w", err)
	}
	if client == nil {
		client = &http.Client{}
	}
	c := *client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("too many redirects")
		}
		if req.URL.Scheme != "https" {
			return errors.New("redirected away from https")
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, ResolveTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("looking up the public address: %w", err)
	}
	req.Header.Set("User-Agent", "Knocker (fwknop -R compatible)")
	resp, err := c.Do(req)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("looking up the public address: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return netip.Addr{}, fmt.Errorf("looking up the public address at %s: the server answered %s", req.URL.Host, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResolveReply))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("looking up the public address at %s: %w", req.URL.Host, err)
	}
	a, err := ParseResolveReply(body)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("looking up the public address at %s: %w", req.URL.Host, err)
	}
	return a, nil
}

// ParseResolveReply reads a lookup reply as fwknop does: the body must
// start with a dotted IPv4 address; what follows its digits and dots (a
// line break, "<br>") is ignored. Like fwknop it looks at no more than the
// first 16 characters.
func ParseResolveReply(body []byte) (netip.Addr, error) {
	end := 0
	for end < len(body) && end < 16 && (body[end] == '.' || '0' <= body[end] && body[end] <= '9') {
		end++
	}
	a, err := netip.ParseAddr(string(body[:end]))
	switch {
	case end == 0:
		return netip.Addr{}, errors.New("the reply does not start with an IPv4 address (fwknop reads the address at the very start of the body)")
	case err != nil || !a.Is4():
		return netip.Addr{}, errors.New("the reply starts with something that is not an IPv4 address")
	case a.IsUnspecified():
		return netip.Addr{}, errors.New("the reply is 0.0.0.0, which would ask the server to allow the packet's source instead")
	}
	return a, nil
}
