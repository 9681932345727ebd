package trace

import (
	"encoding/json"
	"io"
)

// WriteJSON writes t as one indented JSON object followed by a newline.
// Several traces written one after another form a JSON stream that jq and
// json.Decoder read object by object.
func WriteJSON(w io.Writer, t *Trace) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(t)
}
