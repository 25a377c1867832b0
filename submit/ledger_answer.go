package submit

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// The stored form of a LedgerAnswer in a ledger file (receipts2).
//
// An answer is stored as answerPacked, then DEFLATE of: the answer's
// JSON without its receipt and response, the receipt, the response,
// each after its length (uvarint). A value that begins with '{' is the
// answer's JSON, as files from before keep it (the receipt in base64),
// and is read as it is.

// answerPacked begins a packed answer; JSON begins with '{'.
const answerPacked = 1

// flateWriters keeps DEFLATE writers between commits (each holds about
// 1 MB of tables).
var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed) // the level is valid: no error
	return w
}}

// encodeAnswer returns the stored form of a. A receipt lists every record
// of its batch, so it is the larger part of what a ledger writes besides
// the records; packed, it takes about a third of the pages its JSON did.
func encodeAnswer(a *LedgerAnswer) ([]byte, error) {
	head := *a
	head.Receipt, head.Response = nil, nil
	h, err := json.Marshal(&head)
	if err != nil {
		return nil, err
	}
	var plain []byte
	for _, part := range [][]byte{h, a.Receipt, a.Response} {
		plain = binary.AppendUvarint(plain, uint64(len(part)))
		plain = append(plain, part...)
	}
	var out bytes.Buffer
	out.WriteByte(answerPacked)
	w := flateWriters.Get().(*flate.Writer)
	defer flateWriters.Put(w)
	w.Reset(&out)
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// errBadAnswer: a stored answer that is neither JSON nor packed whole.
var errBadAnswer = errors.New("submit: ledger: stored answer is damaged")

// decodeAnswer reads a stored answer back, packed or JSON.
func decodeAnswer(v []byte) (*LedgerAnswer, error) {
	a := new(LedgerAnswer)
	if len(v) == 0 || v[0] != answerPacked {
		if err := json.Unmarshal(v, a); err != nil {
			return nil, err
		}
		return a, nil
	}
	plain, err := io.ReadAll(flate.NewReader(bytes.NewReader(v[1:])))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadAnswer, err)
	}
	var parts [3][]byte
	for i := range parts {
		n, w := binary.Uvarint(plain)
		if w <= 0 || n > uint64(len(plain)-w) {
			return nil, fmt.Errorf("%w: part %d", errBadAnswer, i)
		}
		if n > 0 {
			parts[i] = plain[w : w+int(n)]
		}
		plain = plain[w+int(n):]
	}
	if len(plain) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the response", errBadAnswer, len(plain))
	}
	if err := json.Unmarshal(parts[0], a); err != nil {
		return nil, err
	}
	a.Receipt, a.Response = parts[1], parts[2]
	return a, nil
}
