package main

import (
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/taxii"
)

// taxiiPrefix is where -taxii mounts the read API.
const taxiiPrefix = taxii.DefaultPrefix

// mountTAXII opens the catalog and the journal of the read API, makes
// received products land in the catalog, and returns the sink and the
// TAXII handler, and what closes the files.
// The catalog and journal are returned for the purge and the admin
// commands.
func mountTAXII(dir *collab.Directory, org, data string, sink submit.Sink, log *slog.Logger) (submit.Sink, http.Handler, *collab.BoltCatalog, *collab.BoltJournal, func() error, error) {
	cat, err := collab.OpenBoltCatalog(filepath.Join(data, "catalog.db"))
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	journal, err := collab.OpenBoltJournal(filepath.Join(data, "journal.db"))
	if err != nil {
		return nil, nil, nil, nil, nil, errors.Join(err, cat.Close())
	}
	closeAll := func() error { return errors.Join(journal.Close(), cat.Close()) }
	h, err := taxii.NewHandler(taxii.Config{Directory: dir, Org: org, Catalog: cat, Journal: journal, Logger: log})
	if err != nil {
		return nil, nil, nil, nil, nil, errors.Join(err, closeAll())
	}
	return taxii.CatalogSink{Next: sink, Catalog: cat}, h, cat, journal, closeAll, nil
}
