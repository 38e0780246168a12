//go:build !linux

package cli

import "io"

// copyStream copies src to dst until src ends.
func copyStream(dst io.Writer, src io.Reader) error {
	_, err := io.Copy(dst, src)
	return err
}
