package testbin

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// ProfileID reads the stable ID of profile name from profiles.json in
// config, as the binary saved it.
func ProfileID(tb testing.TB, config, name string) string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(config, "profiles.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Profiles []struct{ ID, Name string }
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		tb.Fatal(err)
	}
	for _, p := range doc.Profiles {
		if p.Name == name {
			return p.ID
		}
	}
	tb.Fatalf("no profile %q in profiles.json", name)
	return ""
}

// AssertNoSecretIn fails if any file under dir holds one of the secrets.
func AssertNoSecretIn(tb testing.TB, dir string, secrets ...string) {
	tb.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				tb.Errorf("%s holds a secret", path)
			}
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
}
