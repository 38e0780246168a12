//go:build race

package profile

// raceDetector says the tests run under the race detector, which makes a
// byte-by-byte scan of megabytes take seconds.
const raceDetector = true
