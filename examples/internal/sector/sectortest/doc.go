// Package sectortest runs the example programs of the social forces in
// their tests and checks what every one of them must keep: nothing lost
// between collection and the hub.
package sectortest
