package demorouter

import (
	"net"
	"net/netip"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// gate makes the kernel drop SYNs to the service from sources off the final
// list, as the rule "action=drop" does: a user-space listener could refuse a
// connection only after the handshake had already told the client "open".
// A classic BPF socket filter needs no privilege. The handshake of a source
// listed a moment too late is dropped and the client's SYN retry gets in.
func gate(ln *net.TCPListener, allowed []netip.Addr) error {
	prog, err := bpf.Assemble(gateProgram(ln.Addr().(*net.TCPAddr).AddrPort().Addr().Is4(), allowed))
	if err != nil {
		return err
	}
	filter := make([]unix.SockFilter, len(prog))
	for i, ins := range prog {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	rc, err := ln.SyscallConn()
	if err != nil {
		return err
	}
	ctlErr := rc.Control(func(fd uintptr) {
		err = unix.SetsockoptSockFprog(int(fd), unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
			&unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]})
	})
	if ctlErr != nil {
		return ctlErr
	}
	return err
}

// maxGated keeps the program under the kernel's 4096 instructions (9 per
// IPv6 source). Past it the kernel lets every SYN in and the accept-time
// check alone turns unlisted sources away.
const maxGated = 400

// skfNetOff is SKF_NET_OFF: loads relative to the network (IP) header.
const skfNetOff = -0x100000

// gateProgram accepts packets whose IP source is in allowed and drops the rest.
func gateProgram(ipv4 bool, allowed []netip.Addr) []bpf.Instruction {
	accept := bpf.RetConstant{Val: 0xffffffff}
	if len(allowed) > maxGated {
		return []bpf.Instruction{accept}
	}
	srcOff := 8 // IPv6 source address
	if ipv4 {
		srcOff = 12
	}
	var prog []bpf.Instruction
	for _, a := range allowed {
		b := a.AsSlice()
		words := len(b) / 4
		for j := range words {
			w := uint32(b[4*j])<<24 | uint32(b[4*j+1])<<16 | uint32(b[4*j+2])<<8 | uint32(b[4*j+3])
			prog = append(prog,
				bpf.LoadAbsolute{Off: uint32(int32(skfNetOff + srcOff + 4*j)), Size: 4},
				// On a mismatch, skip this address's remaining loads, compares and its accept.
				bpf.JumpIf{Cond: bpf.JumpEqual, Val: w, SkipFalse: uint8(2*(words-1-j) + 1)})
		}
		prog = append(prog, accept)
	}
	return append(prog, bpf.RetConstant{Val: 0})
}
