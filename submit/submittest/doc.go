// Package submittest runs an in-process hub for partners' tests, in the
// manner of net/http/httptest: a real submit.Handler over a real Store
// and Ledger in a temporary directory, served on loopback.
//
// # Use
//
//	func TestMySubmitter(t *testing.T) {
//		hub := submittest.NewServer(t) // closed by t.Cleanup
//		req, err := hub.Requirement(schema.KindFinanceTransaction) // an active purpose
//		// ... point your code at hub.URL with hub.Token(submittest.Partner),
//		// submitting records with purpose.requirement_id = req ...
//		receipts, err := hub.Receipts(submittest.Partner)
//		env, err := hub.Store.Get(ctx, id) // what the hub kept
//	}
//
// # Directory
//
// By default the hub's directory is Directory(): a leading group, the hub
// (HubOrg, a specialized department that takes in every kind) and one
// social force, Partner, that may submit every record kind. Use
// WithDirectory or WithDirectoryFile and WithOrg for your own; every
// organization's token is Token(id) = "token-<id>" in the directories this
// package builds, as in internal/demoscheme/scheme.json.
//
// StartServer does the same without a testing.TB, for examples and
// programs; call Close.
package submittest
