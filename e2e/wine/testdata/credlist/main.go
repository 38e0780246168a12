//go:build windows

// Command credlist prints the target names of the Windows Credential
// Manager items that start with its argument, one a line, and never their
// secrets. The Wine tests use it to see Knocker's keyring items from outside.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/danieljoos/wincred"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: credlist PREFIX")
		os.Exit(2)
	}
	creds, err := wincred.List()
	if err != nil {
		fmt.Fprintln(os.Stderr, "credlist:", err)
		os.Exit(1)
	}
	for _, c := range creds {
		if strings.HasPrefix(c.TargetName, os.Args[1]) {
			fmt.Println(c.TargetName)
		}
	}
}
