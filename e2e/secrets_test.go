package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// declareSecrets tells scripts/secrets-audit.sh (part of make test) which
// strings are this test's secrets, so that after the whole suite it can look
// for each in every file knocker left behind, everything it printed and the
// command line of everything it started. Outside the audit it does nothing.
// Secrets shorter than 6 bytes are not declared: they would match by chance.
func declareSecrets(t *testing.T, secrets ...string) {
	t.Helper()
	path := os.Getenv("KNOCKER_AUDIT_SECRETS")
	if path == "" {
		return
	}
	var b strings.Builder
	for _, s := range secrets {
		if len(s) >= 6 && !strings.ContainsAny(s, "\n\r") {
			b.WriteString(s + "\n")
		}
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatalf("declaring test secrets: %v", err)
	}
	defer f.Close()
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatalf("declaring test secrets: %v", err)
	}
}

// secretFields are the fields of a Knocker profiles file that hold secrets.
var secretFields = map[string]bool{"payload": true, "key_base64": true, "hmac_key_base64": true}

// declareProfileSecrets declares the secrets of a Knocker profiles document.
func declareProfileSecrets(t *testing.T, doc string) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return // the test feeds a broken file on purpose
	}
	var found []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && secretFields[k] {
					found = append(found, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	declareSecrets(t, found...)
}
