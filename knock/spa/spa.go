// Package spa builds and reads fwknop-compatible Single Packet Authorization
// packets (fwknop 2.x wire format, Rijndael in CBC mode with an HMAC-SHA256).
// It is written from the protocol description and checked against the
// Debian fwknop 2.6.10 client and server; no fwknop code is used.
//
// A packet is one UDP datagram, by default to port 62201:
//
//	plain   = rand16 : b64(user) : unix_time : version : type : b64("IP,proto/port")
//	          [: b64(nat_access)] [: b64(server_auth)] [: client_timeout]
//	          : b64(sha256(plain so far))
//	sealed  = b64("Salted__" salt8 AES-256-CBC(plain)) without "=", minus its
//	          first ten characters, which are always "U2FsdGVkX1"
//	packet  = sealed + b64(HMAC-SHA256(hmac_key, "U2FsdGVkX1" + sealed)) without "="
//
// The AES key and IV come from OpenSSL's EVP_BytesToKey (MD5, one round)
// with the Rijndael key's raw bytes as the password and the random salt.
package spa

import (
	cryptorand "crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os/user"
	"strconv"
	"strings"
	"time"
)

// DefaultPort is the UDP port fwknopd listens on unless told otherwise.
const DefaultPort = 62201

// Version is the protocol version fwknop 2.6.10 writes into its packets
// (its library version, not the program's).
const Version = "3.0.0"

// Limits fwknop enforces. Those on keys, user and timeout were found by
// feeding the Debian fwknop 2.6.10 client values on both sides of them; the
// packet bounds are fwknopd's own constants.
const (
	MaxRijndaelKey = 32    // bytes; longer keys are refused ("Invalid key length")
	MaxHMACKey     = 128   // bytes
	MaxUser        = 48    // bytes; its base64 must fit fwknop's 64-character field
	MaxTimeout     = 65536 // seconds; the largest client timeout fwknop decodes
	MinPacket      = 140   // bytes; fwknopd's bounds for a datagram it reads
	MaxPacket      = 1500  // bytes
	// fwknop tells Rijndael from GnuPG data by length alone: 400 or more
	// characters of base64 ciphertext, counted with the prefix that is not
	// sent, are taken for GnuPG and never decrypted.
	maxSealed = 399 - len(b64SaltedPrefix)
)

// Keys are the two secrets a client shares with fwknopd: KEY_BASE64 and
// HMAC_KEY_BASE64 in its access.conf.
type Keys struct {
	Rijndael []byte // the encryption key; fwknop --key-gen makes 32 random bytes
	HMAC     []byte // the authentication key; fwknop --key-gen makes 64 random bytes
}

// ParseKeys reads the base64 keys `fwknop --key-gen` prints. Errors never
// quote them.
func ParseKeys(rijndaelBase64, hmacBase64 string) (Keys, error) {
	var k Keys
	var err error
	if k.Rijndael, err = decodeKey(rijndaelBase64); err != nil {
		return Keys{}, fmt.Errorf("encryption (Rijndael) key: %w", err)
	}
	if k.HMAC, err = decodeKey(hmacBase64); err != nil {
		return Keys{}, fmt.Errorf("HMAC key: %w", err)
	}
	return k, k.Validate()
}

func decodeKey(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("not valid base64")
	}
	return b, nil
}

// GenerateKeys makes keys of the sizes `fwknop --key-gen` makes. A nil
// reader means crypto/rand.
func GenerateKeys(r io.Reader) (Keys, error) {
	if r == nil {
		r = cryptorand.Reader
	}
	k := Keys{Rijndael: make([]byte, MaxRijndaelKey), HMAC: make([]byte, 64)}
	if _, err := io.ReadFull(r, k.Rijndael); err != nil {
		return Keys{}, fmt.Errorf("generating keys: %w", err)
	}
	if _, err := io.ReadFull(r, k.HMAC); err != nil {
		return Keys{}, fmt.Errorf("generating keys: %w", err)
	}
	return k, nil
}

// Base64 renders the keys as access.conf and `fwknop --key-gen` write them.
func (k Keys) Base64() (rijndael, hmac string) {
	return base64.StdEncoding.EncodeToString(k.Rijndael), base64.StdEncoding.EncodeToString(k.HMAC)
}

// Validate checks the key lengths fwknop accepts.
func (k Keys) Validate() error {
	switch {
	case len(k.Rijndael) == 0 || len(k.Rijndael) > MaxRijndaelKey:
		return fmt.Errorf("encryption (Rijndael) key of %d bytes (want 1-%d)", len(k.Rijndael), MaxRijndaelKey)
	case len(k.HMAC) == 0 || len(k.HMAC) > MaxHMACKey:
		return fmt.Errorf("HMAC key of %d bytes (want 1-%d)", len(k.HMAC), MaxHMACKey)
	case string(k.Rijndael) == string(k.HMAC):
		// fwknop refuses this too: one leaked key would then give away both.
		return errors.New("the Rijndael and HMAC keys are identical")
	}
	return nil
}

// String describes the keys without revealing them, so a stray %v in a log
// line cannot leak a secret.
func (k Keys) String() string {
	return fmt.Sprintf("spa.Keys{Rijndael: %d bytes, HMAC: %d bytes}", len(k.Rijndael), len(k.HMAC))
}

// GoString keeps %#v as discreet as %v.
func (k Keys) GoString() string { return k.String() }

// Format answers every verb with String: without it, %d, %o or %b would
// print the fields, which are the key bytes.
func (k Keys) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// Request is what a packet asks fwknopd for.
type Request struct {
	// User goes into the packet for fwknopd's REQUIRE_USERNAME; empty means
	// DefaultUser(), as the fwknop client sends the login name.
	User string
	// Access is what to open: "tcp/22", or a list such as "tcp/22,udp/53".
	Access string
	// AllowIP is the address to let in. The zero value sends 0.0.0.0, which
	// asks fwknopd to use the packet's source address (fwknop -s); fwknopd
	// refuses that when its access.conf sets REQUIRE_SOURCE_ADDRESS Y.
	// fwknop 2.6.10 carries IPv4 only.
	AllowIP netip.Addr
	// Time is the packet's timestamp; fwknopd refuses packets older than its
	// MAX_SPA_PACKET_AGE (120 s by default). Zero means now.
	Time time.Time
	// Timeout, when set, asks fwknopd to close the port after this long
	// instead of its FW_ACCESS_TIMEOUT (fwknop -f). Whole seconds.
	Timeout time.Duration
}

// DefaultUser is the login name, as the fwknop client would send it, or
// "knocker" where that name is unknown or cannot be carried.
func DefaultUser() string {
	if u, err := user.Current(); err == nil {
		name := u.Username
		// Windows names come as DOMAIN\user; the backslash is not allowed.
		if i := strings.LastIndexByte(name, '\\'); i >= 0 {
			name = name[i+1:]
		}
		if checkUser(name) == nil {
			return name
		}
	}
	return "knocker"
}

// Build makes the UDP payload for req. rand supplies the random digits and
// the salt; nil means crypto/rand. The caller sends the result as one
// datagram to fwknopd's port (DefaultPort unless configured otherwise).
func Build(keys Keys, req Request, rand io.Reader) ([]byte, error) {
	if err := keys.Validate(); err != nil {
		return nil, err
	}
	if req.User == "" {
		req.User = DefaultUser()
	}
	if err := checkUser(req.User); err != nil {
		return nil, err
	}
	if err := checkAccess(req.Access); err != nil {
		return nil, err
	}
	allow, err := allowIP(req.AllowIP)
	if err != nil {
		return nil, err
	}
	typ := AccessMsg
	if req.Timeout != 0 {
		if req.Timeout < time.Second || req.Timeout > MaxTimeout*time.Second || req.Timeout%time.Second != 0 {
			return nil, fmt.Errorf("client timeout %v: want whole seconds from 1s to %ds", req.Timeout, MaxTimeout)
		}
		typ = ClientTimeoutAccessMsg
	}
	if req.Time.IsZero() {
		req.Time = time.Now()
	} else if req.Time.Unix() < 0 {
		return nil, fmt.Errorf("time %v is before 1970", req.Time)
	}
	if rand == nil {
		rand = cryptorand.Reader
	}
	digits, err := randomDigits(rand)
	if err != nil {
		return nil, err
	}

	plain := make([]byte, 0, 256)
	plain = append(plain, digits[:]...)
	plain = appendField(plain, []byte(req.User))
	plain = append(plain, ':')
	plain = strconv.AppendInt(plain, req.Time.Unix(), 10)
	plain = append(plain, ':')
	plain = append(plain, Version...)
	plain = append(plain, ':')
	plain = strconv.AppendInt(plain, int64(typ), 10)
	plain = appendField(plain, []byte(allow.String()+","+req.Access))
	if typ == ClientTimeoutAccessMsg {
		plain = append(plain, ':')
		plain = strconv.AppendInt(plain, int64(req.Timeout/time.Second), 10)
	}
	plain = appendDigest(plain)

	pkt, err := seal(keys, plain, rand)
	if err != nil {
		return nil, err
	}
	if err := checkSize(len(pkt) - hmacLen); err != nil {
		return nil, fmt.Errorf("request too long for one packet (%w): shorten the access list or the user name", err)
	}
	return pkt, nil
}

// randomDigits draws fwknop's 16 random decimal digits, unbiased.
func randomDigits(r io.Reader) ([16]byte, error) {
	var d [16]byte
	var buf [32]byte
	n := 0
	for n < len(d) {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return d, fmt.Errorf("reading randomness: %w", err)
		}
		for _, b := range buf {
			// 250 is the largest multiple of 10 a byte holds; above it
			// the low digits would come up more often.
			if b < 250 && n < len(d) {
				d[n] = '0' + b%10
				n++
			}
		}
	}
	return d, nil
}

// appendField adds ":" and v in unpadded base64, as fwknop encodes text fields.
func appendField(dst, v []byte) []byte {
	dst = append(dst, ':')
	return base64.RawStdEncoding.AppendEncode(dst, v)
}

// checkUser applies fwknop's user name rules: printable ASCII without the
// characters Windows forbids in names.
func checkUser(u string) error {
	if u == "" || len(u) > MaxUser {
		return fmt.Errorf("user name of %d bytes (want 1-%d)", len(u), MaxUser)
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c < 0x20 || c > 0x7e || strings.IndexByte(`\/:*?"<>|`, c) >= 0 {
			return fmt.Errorf("user name has a character fwknop does not allow at position %d (want printable ASCII without \\/:*?\"<>|)", i+1)
		}
	}
	return nil
}

// checkAccess accepts what fwknop's -A does: proto/port items, tcp or udp in
// lower case, joined by commas without spaces.
func checkAccess(a string) error {
	if a == "" {
		return errors.New("empty access request (want e.g. tcp/22)")
	}
	// Errors name the item, not the text, which may come from a file.
	i := 0
	for item := range strings.SplitSeq(a, ",") {
		i++
		proto, port, ok := strings.Cut(item, "/")
		if !ok || (proto != "tcp" && proto != "udp") {
			return fmt.Errorf("access item %d: want tcp/PORT or udp/PORT, comma-separated without spaces", i)
		}
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 || port[0] == '0' {
			return fmt.Errorf("access item %d: port must be 1-65535", i)
		}
	}
	return nil
}

func allowIP(a netip.Addr) (netip.Addr, error) {
	if !a.IsValid() {
		return netip.IPv4Unspecified(), nil
	}
	a = a.Unmap()
	if !a.Is4() {
		return netip.Addr{}, fmt.Errorf("allow address %v: fwknop 2.6 carries IPv4 addresses only", a)
	}
	return a, nil
}

// checkSize applies fwknopd's limits to a packet without its HMAC.
func checkSize(sealedLen int) error {
	switch total := sealedLen + hmacLen; {
	case sealedLen > maxSealed:
		return fmt.Errorf("%d characters of ciphertext; fwknop takes more than %d for GnuPG", sealedLen, maxSealed)
	case total < MinPacket || total > MaxPacket:
		return fmt.Errorf("%d bytes; fwknopd accepts %d-%d", total, MinPacket, MaxPacket)
	}
	return nil
}
