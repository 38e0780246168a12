package profile

import (
	"errors"
	"fmt"
)

// Limits on one import. A hostile file must not turn a few bytes into
// gigabytes (an ICMP step repeated, a size payload of zeros) or into
// thousands of keyring items nobody asked for, so each is checked before
// anything is expanded.
const (
	// MaxImportProfiles is the most profiles one file may add.
	MaxImportProfiles = 1000
	// MaxSteps is the most steps a profile may have. A keyring item
	// (secret.MaxSize) holds about 80 of the shortest, so no profile that
	// can be saved is refused.
	MaxSteps = 100
	// importBudget is the payload bytes one import may expand into.
	importBudget = MaxFileSize
	// maxImportWarnings is how many warnings an import reports one by one.
	maxImportWarnings = 50
)

var errBudget = errors.New("the file expands into more payload than Knocker imports at once")

var errTooManyProfiles = fmt.Errorf("more than %d profiles: Knocker imports at most %d at once (split the file)", MaxImportProfiles, MaxImportProfiles)

func tooManyProfiles() error { return errTooManyProfiles }

func tooManySteps() error {
	return fmt.Errorf("more than %d steps in one profile", MaxSteps)
}

// checkJSONLists refuses, before it is decoded, a JSON document with a list
// longer than an import takes: a list inside no other list (the profiles,
// or Knock on Ports' sequences) may hold MaxImportProfiles items, a list
// inside one (the steps) MaxSteps. It reads the bytes only, so a file of
// millions of empty objects costs no memory; data must be valid JSON.
func checkJSONLists(data []byte) error {
	type frame struct {
		list, nested, expecting bool
		start, items            int
	}
	var stack []frame
	lists := 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case ' ', '\t', '\r', '\n', ':':
			continue
		case ',':
			if top := len(stack) - 1; top >= 0 && stack[top].list {
				stack[top].expecting = true
			}
			continue
		case ']', '}':
			if stack[len(stack)-1].list {
				lists--
			}
			stack = stack[:len(stack)-1]
			continue
		}
		// A value starts here.
		if top := len(stack) - 1; top >= 0 && stack[top].list && stack[top].expecting {
			f := &stack[top]
			f.expecting = false
			f.items++
			if !f.nested && f.items > MaxImportProfiles {
				return fieldErr(position(data, int64(f.start)), tooManyProfiles())
			}
			if f.nested && f.items > MaxSteps {
				return fieldErr(position(data, int64(f.start)), tooManySteps())
			}
		}
		switch c {
		case '[':
			stack = append(stack, frame{list: true, nested: lists > 0, expecting: true, start: i})
			lists++
		case '{':
			stack = append(stack, frame{start: i})
		case '"':
			for i++; data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		}
	}
	return nil
}

// capped keeps the first maxImportWarnings reports of an import (warnings,
// sections left out) and counts the rest, so a file of a million ignored
// lines cannot fill memory.
type capped[T any] struct {
	list    []T
	dropped int
}

func (c *capped[T]) add(v T) {
	if len(c.list) < maxImportWarnings {
		c.list = append(c.list, v)
	} else {
		c.dropped++
	}
}

// warningList is an import's warnings.
type warningList struct{ capped[string] }

// all returns the warnings kept, then one line for those that were not.
func (w *warningList) all() []string {
	if w.dropped == 0 {
		return w.list
	}
	return append(w.list, fmt.Sprintf("and %d more warnings", w.dropped))
}
