package submit_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/submittest"
)

// An embedder gives the hub and the client a registry of its own (served
// with promhttp.HandlerFor in a real program); nothing is registered
// anywhere else.
func ExampleHandlerConfig_metrics() {
	dir, _ := os.MkdirTemp("", "hub")
	defer os.RemoveAll(dir)
	directory, err := submittest.Directory()
	if err != nil {
		panic(err)
	}
	store, err := submit.OpenStore(filepath.Join(dir, "store.db"))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	ledger, err := submit.OpenLedger(filepath.Join(dir, "ledger.db"))
	if err != nil {
		panic(err)
	}
	defer ledger.Close()
	reg := prometheus.NewRegistry()
	h, err := submit.NewHandler(submit.HandlerConfig{
		Org: submittest.HubOrg, Directory: directory, Sink: store, Ledger: ledger, Metrics: reg,
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	requirement := schema.NewID()
	if err := h.Purposes().(submit.Learner).Learn(context.Background(), []schema.Envelope{requirementEnvelope(requirement)}); err != nil {
		panic(err)
	}
	c, err := submit.NewClient(submit.ClientConfig{
		Endpoint: srv.URL, Org: submittest.Partner, Token: submittest.Token(submittest.Partner),
		OutboxPath: filepath.Join(dir, "outbox.db"), Metrics: reg,
	})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Submit(ctx, exampleRecord(submittest.Partner, requirement, schema.HandlingAmber)); err != nil {
		panic(err)
	}
	if err := c.Flush(ctx); err != nil {
		panic(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "sicollab_client_delivered_total", "sicollab_hub_records_total", "sicollab_hub_stage_seconds":
			for _, m := range mf.GetMetric() {
				var labels []string
				for _, l := range m.GetLabel() {
					labels = append(labels, l.GetName()+"="+l.GetValue())
				}
				v := m.GetCounter().GetValue()
				if h := m.GetHistogram(); h != nil {
					v = float64(h.GetSampleCount())
				}
				fmt.Printf("%s{%s} %g\n", mf.GetName(), strings.Join(labels, ","), v)
			}
		}
	}
	if err := c.Close(ctx); err != nil {
		panic(err)
	}
	// Output:
	// sicollab_client_delivered_total{org=partner-01} 1
	// sicollab_hub_records_total{hub=hub,outcome=accepted,reason=} 1
	// sicollab_hub_stage_seconds{hub=hub,stage=admission} 1
	// sicollab_hub_stage_seconds{hub=hub,stage=read} 1
	// sicollab_hub_stage_seconds{hub=hub,stage=receipt} 1
	// sicollab_hub_stage_seconds{hub=hub,stage=store} 1
	// sicollab_hub_stage_seconds{hub=hub,stage=validate} 1
}
