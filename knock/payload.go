package knock

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Encoding says how a payload was written, so that a profile shows and
// exports it the way its owner typed it.
type Encoding uint8

const (
	Text   Encoding = iota // the bytes of the text itself
	Hex                    // "hex:7465": hexadecimal digits
	Base64                 // "base64:dGVzdA==": standard base64
	Size                   // "size:56": that many zero bytes (ICMP or length-matched knocks); "size:0" is an empty packet
)

var encodingNames = [...]string{Text: "text", Hex: "hex", Base64: "base64", Size: "size"}

func (e Encoding) String() string {
	if int(e) < len(encodingNames) {
		return encodingNames[e]
	}
	return "Encoding(" + strconv.Itoa(int(e)) + ")"
}

// ParseEncoding reads an encoding name as used in profile files.
func ParseEncoding(s string) (Encoding, error) {
	for e, name := range encodingNames {
		if s == name {
			return Encoding(e), nil
		}
	}
	return 0, fmt.Errorf("unknown payload encoding %q (want text, hex, base64 or size)", s)
}

// MaxPayload is the most a single UDP datagram or ICMP echo over IPv4 can
// carry (65535 - 20 byte IP header - 8 byte UDP/ICMP header).
const MaxPayload = 65507

// FragmentThreshold is the largest payload that fits an Ethernet MTU of 1500
// without IP fragmentation; larger knocks may be dropped by firewalls.
const FragmentThreshold = 1472

// ErrEmptyPayload is returned for a payload spec that selects an encoding but
// holds nothing, such as "hex:" — almost always a typing mistake. An empty
// packet is asked for explicitly, as "size:0".
var ErrEmptyPayload = errors.New("empty payload (an empty datagram is size:0)")

// Payload is the data a step carries, with the encoding it was written in.
type Payload struct {
	Data     []byte
	Encoding Encoding
}

// ParsePayload decodes a payload spec: plain text, "text:…", "hex:…",
// "base64:…" or "size:N". The error never quotes the payload, which is secret.
func ParsePayload(spec string) (Payload, error) {
	if spec == "" {
		return Payload{}, ErrEmptyPayload
	}
	prefix, rest, found := strings.Cut(spec, ":")
	if !found {
		return Payload{Data: []byte(spec), Encoding: Text}, nil
	}
	enc, err := ParseEncoding(prefix)
	if err != nil {
		// "user:pass" style text with a colon is ordinary text.
		return Payload{Data: []byte(spec), Encoding: Text}, nil
	}
	return DecodePayload(rest, enc)
}

// DecodePayload decodes s written in enc.
func DecodePayload(s string, enc Encoding) (Payload, error) {
	if s == "" {
		return Payload{}, fmt.Errorf("%w after %q", ErrEmptyPayload, enc.String()+":")
	}
	var data []byte
	switch enc {
	case Text:
		data = []byte(s)
	case Hex:
		if len(s)%2 != 0 {
			return Payload{}, fmt.Errorf("hex payload has an odd number of digits (%d)", len(s))
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			return Payload{}, errors.New("hex payload holds a character that is not a hex digit")
		}
		data = b
	case Base64:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			// Accept unpadded input too, as many tools print it that way.
			b, err = base64.RawStdEncoding.DecodeString(s)
		}
		if err != nil {
			return Payload{}, errors.New("base64 payload is not valid standard base64")
		}
		data = b
	case Size:
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return Payload{}, errors.New("size payload must be a whole number of bytes (0 for an empty packet)")
		}
		if n > MaxPayload {
			return Payload{}, fmt.Errorf("payload of %d bytes is larger than one packet can carry (%d)", n, MaxPayload)
		}
		data = make([]byte, n)
	default:
		return Payload{}, fmt.Errorf("unknown payload encoding %d", enc)
	}
	if len(data) == 0 && enc != Size {
		return Payload{}, ErrEmptyPayload
	}
	if len(data) > MaxPayload {
		return Payload{}, fmt.Errorf("payload of %d bytes is larger than one packet can carry (%d)", len(data), MaxPayload)
	}
	return Payload{Data: data, Encoding: enc}, nil
}

// Format prints a payload as its size under every verb, %x and %#v
// included, so a struct holding one can be printed without leaking it.
func (p Payload) Format(f fmt.State, _ rune) {
	if len(p.Data) == 0 {
		fmt.Fprint(f, "no payload")
		return
	}
	fmt.Fprintf(f, "%d-byte payload", len(p.Data))
}

// Value is the payload written in its own encoding, without a prefix
// (the "payload" field of a profile file).
func (p Payload) Value() string {
	switch p.Encoding {
	case Hex:
		return hex.EncodeToString(p.Data)
	case Base64:
		return base64.StdEncoding.EncodeToString(p.Data)
	case Size:
		return strconv.Itoa(len(p.Data))
	default:
		return string(p.Data)
	}
}

// Spec is the payload as ParsePayload reads it back.
func (p Payload) Spec() string {
	if p.Encoding == Text {
		// Text that looks like "hex:…" needs the explicit prefix to survive a round trip.
		if prefix, _, found := strings.Cut(string(p.Data), ":"); found && isEncodingName(prefix) {
			return "text:" + string(p.Data)
		}
		return string(p.Data)
	}
	return p.Encoding.String() + ":" + p.Value()
}

func isEncodingName(s string) bool {
	_, err := ParseEncoding(s)
	return err == nil
}
