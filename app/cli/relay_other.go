//go:build !linux

package cli

import "io"

// copyStream copies src to dst until src ends.
func copyStream(dst io.Writer, src io.Reader) error {
	_, err := io.Copy(dst, src)
	return err
}

// watchHangup would report when the reader of out goes away; here nothing
// tells, and the proxy learns it when a write fails.
func watchHangup(io.Writer) (<-chan struct{}, func()) { return nil, func() {} }

// unsent would be how many bytes ssh wrote that the server has not yet
// acknowledged; here it is not known.
func unsent(halfConn, io.Reader) (int, bool) { return 0, false }
