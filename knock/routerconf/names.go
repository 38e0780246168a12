package routerconf

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// idSuffixLen is how many hex digits of the ID's hash a cleaned name gets:
// 32 bits, so two profiles' suffixes agree about once in four billion
// pairs, and 23 bytes of the name still fit in the 32 a router name has.
const idSuffixLen = 8

// ProfileName is the name a router knows a saved profile by: its address
// lists, rule comments, layer-7 patterns and nftables tables carry it, and
// running its script again replaces exactly the rules of that name.
//
// A profile name that already is a router name (lowercase ASCII letters,
// digits, "-" and "_", a letter first, at most 32 bytes) is kept as it is:
// profile names are unique, so these are too, and the rules an earlier
// script made for the profile keep their name. Any other name is cleaned,
// which loses what told names apart ("Office (old)" and "Office old" both
// clean to office-old, and so do any two names whose first 32 cleaned
// bytes agree), so it is cut short and ends in "-" and 8 hex digits of a
// hash of the profile's ID. A kept name never ends like that (one that
// would gets a suffix of its own), so a kept and a suffixed name never
// meet, and two suffixed names only when 32 bits of their IDs' hashes
// agree. The suffix depends on the profile's ID alone, never on the other
// profiles, so adding, renaming or deleting one never changes another's
// router name.
func ProfileName(name, id string) string {
	clean := cleanName(name)
	if clean == name && len(name) <= knockName.max && !hasIDSuffix(name) {
		return name
	}
	sum := sha256.Sum256([]byte(id))
	keep := knockName.max - 1 - idSuffixLen
	return strings.TrimRight(clean[:min(len(clean), keep)], "-") + "-" + hex.EncodeToString(sum[:])[:idSuffixLen]
}

// cleanName keeps what a router name may hold of name, lowercased: ASCII
// letters and digits, "-" and "_"; a run of blanks or dots becomes one "-".
// A name that then does not start with a letter gets "knock-" before it.
func cleanName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) || r == '_' || r == '-':
			b.WriteRune(r)
		case (unicode.IsSpace(r) || r == '.') && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" || !unicode.IsLetter(rune(s[0])) {
		s = strings.TrimSuffix("knock-"+s, "-")
	}
	return s
}

// hasIDSuffix reports whether name ends as ProfileName's suffixed names do.
func hasIDSuffix(name string) bool {
	i := len(name) - idSuffixLen - 1
	if i < 0 || name[i] != '-' {
		return false
	}
	for _, c := range []byte(name[i+1:]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
