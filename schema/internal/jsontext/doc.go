// Package jsontext reads JSON text: the one lexer the schema package
// builds its parser, its typed decoder, its byte checks and its encoder
// on, and the format checks (UTC times, dates, UUIDs, hex) written once.
//
// # Reading
//
// A Scanner reads tokens from a byte slice without allocating: Space,
// Next, Str (a string's raw bytes), Number, Literal. Unescape decodes a
// string that holds escapes, with the rules of RFC 7493 (I-JSON): valid
// UTF-8, no unpaired surrogates.
//
// # Tapes
//
// Tokenize reads a whole document into a Tape, a flat list of tokens in
// document order in which every container knows where it ends: what a
// validator needs to look at one value several times (the conditionals
// of a schema) without building a tree of maps and strings. Tokenize is
// strict and says no to anything the schema package's parser would
// refuse (syntax, nesting past the limit, duplicate keys, invalid UTF-8,
// trailing data) and, being a fast path, to a few things it does not
// decide itself (a key with escapes, an object of more than MaxMembers
// members); callers then use the parser, which reports the error.
package jsontext
