// Command benchtool holds the Go parts of "make bench" (see bench/run.sh):
//
//	benchtool listen ADDR                  accept and close TCP connections (a protected service)
//	benchtool serve ADDR                   a data service to time transfers against
//	benchtool relay [flags] -- CMD ARGS... transfers to serve's service, direct and through CMD (knocker proxy)
//	benchtool banner [flags] [-- CMD ...]  time to an SSH server's banner, direct or through CMD
//	benchtool alternate [-n N] NAME=CMD... wall times of commands run in turn, as hyperfine's JSON
//	benchtool gaps DELAY FILE BASE         delay errors from a tcpdump text capture, as JSON
//	benchtool gui [flags] -- CMD ARGS...   start-up time, RSS and idle CPU of a window or tray app
//	benchtool idle [flags] -- CMD ARGS...  RSS and idle CPU of a command that runs until Ctrl+C
//	benchtool scale [flags]                the refresh scheduler idling with 1000 profiles
//	benchtool report DIR OUT.md            the report from the results in DIR
//
// It is a benchmark helper, not part of Knocker.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fatalf("usage: benchtool listen|serve|relay|banner|alternate|gaps|gui|idle|scale|report ...")
	}
	args := os.Args[2:]
	var err error
	switch os.Args[1] {
	case "listen":
		err = listen(args)
	case "serve":
		err = serve(args)
	case "relay":
		err = relay(args, os.Stdout)
	case "banner":
		err = banner(args, os.Stdout)
	case "alternate":
		err = alternate(args, os.Stdout)
	case "gaps":
		err = gaps(args, os.Stdout)
	case "gui":
		err = gui(args, os.Stdout)
	case "idle":
		err = idle(args, os.Stdout)
	case "scale":
		err = scale(args, os.Stdout)
	case "report":
		err = report(args)
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fatalf("benchtool %s: %v", os.Args[1], err)
	}
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", a...)
	os.Exit(1)
}

// listen accepts TCP connections on ADDR and closes them at once, until killed.
func listen(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: listen ADDR")
	}
	l, err := net.Listen("tcp", args[0])
	if err != nil {
		return err
	}
	fmt.Println("listening")
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		c.Close()
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
