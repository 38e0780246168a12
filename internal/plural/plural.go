// Package plural writes counts of things in English: "1 step", "3 steps".
package plural

import "strconv"

// Count is n followed by one or many, whichever n calls for.
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
