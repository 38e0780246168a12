package spa

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// MessageType is fwknop's message type field.
type MessageType int

// The message types fwknop defines. Build writes the two plain access kinds;
// Decode reads them all.
const (
	CommandMsg                     MessageType = 0
	AccessMsg                      MessageType = 1
	NATAccessMsg                   MessageType = 2
	ClientTimeoutAccessMsg         MessageType = 3
	ClientTimeoutNATAccessMsg      MessageType = 4
	LocalNATAccessMsg              MessageType = 5
	ClientTimeoutLocalNATAccessMsg MessageType = 6
)

func (t MessageType) nat() bool {
	switch t {
	case NATAccessMsg, ClientTimeoutNATAccessMsg, LocalNATAccessMsg, ClientTimeoutLocalNATAccessMsg:
		return true
	}
	return false
}

func (t MessageType) timeout() bool {
	switch t {
	case ClientTimeoutAccessMsg, ClientTimeoutNATAccessMsg, ClientTimeoutLocalNATAccessMsg:
		return true
	}
	return false
}

// Errors a caller may want to tell apart.
var (
	ErrHMAC    = errors.New("HMAC does not match: wrong HMAC key, or the packet was altered")
	ErrDecrypt = errors.New("decryption failed: wrong Rijndael key")
)

// Message is a decoded packet.
type Message struct {
	Random  string // the 16 random digits that make each packet unique
	User    string
	Time    time.Time
	Version string
	Type    MessageType
	// AllowIP is the address to let in; 0.0.0.0 means the packet's source.
	AllowIP netip.Addr
	// Access is the request after the address: "tcp/22,udp/53" for access
	// messages, the command line for a CommandMsg.
	Access     string
	NATAccess  string        // "IP,port" for the NAT types
	ServerAuth string        // rarely used; empty when absent
	Timeout    time.Duration // the client timeout; 0 when absent
}

// Decode checks a packet's HMAC, decrypts it and parses its fields, as
// fwknopd would before acting on it. It checks the format only: how old the
// packet is and whether it was seen before are the server's business.
func Decode(keys Keys, packet []byte) (*Message, error) {
	if err := keys.Validate(); err != nil {
		return nil, err
	}
	plain, err := open(keys, packet)
	if err != nil {
		return nil, err
	}
	return parse(plain)
}

// parse reads the decrypted fields and checks the digest that ends them.
func parse(plain []byte) (*Message, error) {
	cut := bytes.LastIndexByte(plain, ':')
	if cut < 0 {
		return nil, errors.New("no fields in the decrypted data")
	}
	sum := sha256.Sum256(plain[:cut])
	var want [digestLen]byte
	base64.RawStdEncoding.Encode(want[:], sum[:])
	if !bytes.Equal(want[:], plain[cut+1:]) {
		// The HMAC matched, so the sender had the keys: a garbled plaintext
		// means the Rijndael key is wrong (or the sender used another digest).
		return nil, fmt.Errorf("%w (the SHA-256 digest does not match; only SHA-256 is supported)", ErrDecrypt)
	}
	f := strings.Split(string(plain[:cut]), ":")
	if len(f) < 6 {
		return nil, fmt.Errorf("%d fields before the digest, want at least 6", len(f))
	}
	m := &Message{Random: f[0], Version: f[3]}
	if len(m.Random) != 16 || strings.Trim(m.Random, "0123456789") != "" {
		return nil, errors.New("random field is not 16 digits")
	}
	user, err := decodeField("user", f[1])
	if err != nil {
		return nil, err
	}
	if err := checkUser(user); err != nil {
		return nil, err
	}
	m.User = user
	ts, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || ts < 0 {
		return nil, errors.New("timestamp is not a Unix time")
	}
	m.Time = time.Unix(ts, 0)
	if m.Version == "" {
		return nil, errors.New("empty version field")
	}
	typ, err := strconv.Atoi(f[4])
	if err != nil || typ < int(CommandMsg) || typ > int(ClientTimeoutLocalNATAccessMsg) {
		return nil, errors.New("unknown message type")
	}
	m.Type = MessageType(typ)
	msg, err := decodeField("message", f[5])
	if err != nil {
		return nil, err
	}
	ip, rest, ok := strings.Cut(msg, ",")
	if m.AllowIP, err = netip.ParseAddr(ip); !ok || err != nil || !m.AllowIP.Is4() {
		return nil, errors.New("message does not start with an IPv4 address and a comma")
	}
	m.Access = rest
	if m.Type != CommandMsg {
		if err := checkAccess(rest); err != nil {
			return nil, err
		}
	}

	// The optional fields follow in a fixed order; the type says which of
	// the first and last are there, and whatever is left between them is
	// the server auth.
	opt := f[6:]
	if m.Type.nat() {
		if len(opt) == 0 {
			return nil, errors.New("NAT message without its NAT access field")
		}
		if m.NATAccess, err = decodeField("NAT access", opt[0]); err != nil {
			return nil, err
		}
		opt = opt[1:]
	}
	if m.Type.timeout() {
		if len(opt) == 0 {
			return nil, errors.New("client timeout message without its timeout field")
		}
		t, err := strconv.ParseUint(opt[len(opt)-1], 10, 32)
		if err != nil || t > MaxTimeout {
			return nil, fmt.Errorf("client timeout is not a number of seconds up to %d", MaxTimeout)
		}
		m.Timeout = time.Duration(t) * time.Second
		opt = opt[:len(opt)-1]
	}
	switch len(opt) {
	case 0:
	case 1:
		if m.ServerAuth, err = decodeField("server auth", opt[0]); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%d fields before the digest, more than message type %d has", len(f), m.Type)
	}
	return m, nil
}

func decodeField(name, v string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(v)
	if err != nil || len(b) == 0 {
		return "", fmt.Errorf("%s field is not unpadded base64", name)
	}
	return string(b), nil
}
