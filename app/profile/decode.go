package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// VersionError reports a file written by a newer Knocker. Such a file is
// never rewritten: this build would drop what it does not understand.
type VersionError struct{ Found int }

func (e *VersionError) Error() string {
	return fmt.Sprintf("written by a newer Knocker (format version %d; this build knows up to %d): update Knocker; the file is left unchanged", e.Found, FormatVersion)
}

// decodeDoc reads a profiles document. strict rejects unknown fields, for
// imports; the store is lenient so a hand edit with a stray field still loads.
// Errors name the line or field and never quote values, which may be secret.
func decodeDoc(data []byte, strict bool) (document, error) {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return document{}, describeJSONError(data, err)
	}
	switch {
	case head.Version == nil:
		return document{}, fieldErr("version", errors.New("missing: not a Knocker profiles file"))
	case *head.Version > FormatVersion:
		return document{}, &VersionError{Found: *head.Version}
	case *head.Version < 1:
		return document{}, fieldErr("version", fmt.Errorf("%d is not a format version", *head.Version))
	}
	// json.Unmarshal above checked the syntax of the whole input, trailing
	// data included, so this decode can only fail on types and fields.
	var doc document
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(&doc); err != nil {
		return document{}, describeJSONError(data, err)
	}
	return doc, nil
}

// describeJSONError turns a decoder error into the line (and field) at fault.
func describeJSONError(data []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax) && syntax.Offset >= int64(len(data)):
		return errors.New("the JSON ends too early (truncated file?)")
	case errors.As(err, &syntax):
		// Offset counts the offending byte itself.
		return &FieldError{Field: position(data, syntax.Offset-1), Err: errors.New("not valid JSON")}
	case errors.As(err, &typ):
		// Value is "number 123" or "string": keep only the kind.
		kind, _, _ := strings.Cut(typ.Value, " ")
		field := position(data, typ.Offset)
		if typ.Field != "" {
			field += ": " + typ.Field
		}
		return &FieldError{Field: field, Err: fmt.Errorf("want %s, found %s", jsonKind(typ.Type.Kind().String()), kind)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil {
			return errors.New("unknown field")
		}
		return errors.New("unknown field " + quoted(name))
	}
	return errors.New("not valid JSON")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "uint16":
		return "a whole number"
	case "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "a list"
	case "struct", "ptr", "map":
		return "an object"
	}
	return goKind
}

// position is the 1-based line and column of byte offset in data.
func position(data []byte, offset int64) string {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return fmt.Sprintf("line %d, column %d", line, col)
}
