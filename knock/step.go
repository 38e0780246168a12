package knock

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Proto is the kind of packet a step sends.
type Proto uint8

const (
	UDP  Proto = iota + 1 // one datagram, optionally with a payload
	TCP                   // one SYN (a connection attempt that is abandoned)
	ICMP                  // one echo request, optionally with a payload
)

var protoNames = map[Proto]string{UDP: "udp", TCP: "tcp", ICMP: "icmp"}

func (p Proto) String() string {
	if s, ok := protoNames[p]; ok {
		return s
	}
	return "Proto(" + strconv.Itoa(int(p)) + ")"
}

// ParseProto reads "udp", "tcp" or "icmp" in any case.
func ParseProto(s string) (Proto, error) {
	for p, name := range protoNames {
		if strings.EqualFold(s, name) {
			return p, nil
		}
	}
	return 0, errors.New("unknown protocol (want udp, tcp or icmp)")
}

// Step is one packet of a knock sequence.
type Step struct {
	Proto   Proto
	Port    uint16  // 0 for ICMP
	Payload Payload // empty for TCP
	// Delay is the pause before this step, measured from the previous send,
	// so time spent sending does not stretch the sequence. Ignored on the first step.
	Delay time.Duration
}

// Validate reports why a step cannot be sent, in words fit for the user.
func (s Step) Validate() error {
	switch s.Proto {
	case UDP, TCP:
		if s.Port == 0 {
			return errors.New("port 0 cannot be knocked (want 1-65535)")
		}
	case ICMP:
		if s.Port != 0 {
			return errors.New("ICMP has no ports")
		}
	default:
		return fmt.Errorf("unknown protocol %v", s.Proto)
	}
	if s.Proto == TCP && len(s.Payload.Data) > 0 {
		return errors.New("a TCP step cannot carry a payload: it is a bare SYN (use :udp for a payload)")
	}
	if len(s.Payload.Data) > MaxPayload {
		return fmt.Errorf("payload of %d bytes is larger than one packet can carry (%d)", len(s.Payload.Data), MaxPayload)
	}
	if s.Delay < 0 {
		return fmt.Errorf("negative delay %v", s.Delay)
	}
	return nil
}

// ParseStep reads the command-line step syntax:
//
//	PORT[:udp|:tcp][=PAYLOAD]   icmp[=PAYLOAD]
//
// A bare port uses defaultProto (TCP in knock's tradition, UDP with -u).
// PAYLOAD is text, "hex:…", "base64:…" or "size:N"; see ParsePayload.
// A UDP step without one carries a single zero byte, as knock(1) sends, so
// the two clients knock alike; "size:0" asks for an empty datagram.
// Errors name the step by position, never by content, as payloads are secret.
func ParseStep(spec string, defaultProto Proto) (Step, error) {
	target, payloadSpec, hasPayload := strings.Cut(spec, "=")
	var s Step
	if strings.EqualFold(target, "icmp") {
		s.Proto = ICMP
	} else {
		portText, protoText, hasProto := strings.Cut(target, ":")
		s.Proto = defaultProto
		if hasProto {
			p, err := ParseProto(protoText)
			if err != nil {
				// Not quoted: "1234:secret" is a payload typed after the wrong separator.
				return Step{}, errors.New(`unknown protocol after ":" (want udp or tcp; a payload goes after "=")`)
			}
			if p == ICMP {
				return Step{}, errors.New("ICMP has no ports: write the step as icmp or icmp=PAYLOAD")
			}
			s.Proto = p
		}
		port, err := ParsePort(portText)
		if err != nil {
			return Step{}, err
		}
		s.Port = port
	}
	switch {
	case hasPayload:
		p, err := ParsePayload(payloadSpec)
		if err != nil {
			return Step{}, fmt.Errorf("payload: %w", err)
		}
		s.Payload = p
	case s.Proto == UDP:
		s.Payload = KnockZeroByte()
	}
	if err := s.Validate(); err != nil {
		return Step{}, err
	}
	return s, nil
}

// KnockZeroByte is what knock(1) puts in every UDP datagram: sendto(sd, "", 1, …)
// sends the empty C string's terminating NUL.
func KnockZeroByte() Payload { return Payload{Data: []byte{0}, Encoding: Size} }

// ParsePort reads a port number 1-65535.
func ParsePort(s string) (uint16, error) {
	if s == "" {
		return 0, errors.New("missing port number")
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		// Not quoted: a mistyped step may hold part of a secret.
		return 0, errors.New("port is not a number (want 1-65535)")
	}
	if n == 0 || n > 65535 {
		return 0, fmt.Errorf("port %d is out of range (want 1-65535)", n)
	}
	return uint16(n), nil
}

// String is Summary, so a step printed by accident (%v, a log line, an
// error) shows no payload.
func (s Step) String() string { return s.Summary() }

// Spec renders a step in ParseStep's syntax, payload included: it is for
// writing the step back where it came from, never for display.
func (s Step) Spec() string {
	var b strings.Builder
	if s.Proto == ICMP {
		b.WriteString("icmp")
	} else {
		b.WriteString(strconv.Itoa(int(s.Port)))
		b.WriteByte(':')
		b.WriteString(s.Proto.String())
	}
	switch {
	case len(s.Payload.Data) > 0:
		b.WriteByte('=')
		b.WriteString(s.Payload.Spec())
	case s.Proto == UDP || s.Payload.Encoding == Size:
		// A bare UDP port would read back as knock(1)'s zero byte.
		b.WriteString("=size:0")
	}
	return b.String()
}

// Summary describes a step without revealing its payload, for logs and screens.
func (s Step) Summary() string {
	var b strings.Builder
	if s.Proto == ICMP {
		b.WriteString("icmp")
	} else {
		b.WriteString(s.Proto.String())
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(int(s.Port)))
	}
	if n := len(s.Payload.Data); n > 0 {
		fmt.Fprintf(&b, " (%d-byte payload)", n)
	}
	return b.String()
}
