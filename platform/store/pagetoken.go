package store

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// EncodePageToken returns the page token that carries n, a position a
// store's List resumes after: the unpadded base64url encoding of prefix
// and n in decimal. The prefix ("bolt1:") names the store that issued the
// token, so that another store's token is refused rather than misread.
func EncodePageToken(prefix string, n uint64) string {
	return base64.RawURLEncoding.EncodeToString(strconv.AppendUint([]byte(prefix), n, 10))
}

// DecodePageToken returns the position token carries, and true; 0 and
// true for the empty token, the first page. It returns false for a token
// EncodePageToken did not make with prefix and a positive n: the store
// then answers that the token is not one it issued. The store checks that
// the position is one it could have issued.
func DecodePageToken(prefix, token string) (uint64, bool) {
	if token == "" {
		return 0, true
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, false
	}
	digits, ok := strings.CutPrefix(string(raw), prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n == 0 || strconv.FormatUint(n, 10) != digits {
		return 0, false
	}
	return n, true
}
