package submit

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

// TestStoreCountReleases checks that Count, which reads every page of
// the records' index, leaves none of them in the process's resident set:
// at the end of each round the demo counted seven hubs' records and its
// RSS jumped by 1.9 GB of mapped pages at 1M records.
func TestStoreCountReleases(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("resident pages of a mapping are read from /proc/self/smaps")
	}
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := OpenStore(path)
	require.NoError(t, err)
	defer s.Close()
	const batches, batch = 40, 500
	for c := range batches {
		envs := make([]schema.Envelope, batch)
		for j := range envs {
			envs[j] = storeEnv(t, schema.KindFinanceTransaction, testNow)
			envs[j].Source = fmt.Sprintf("org-%02d", (c+j)%20) // senders interleave, as at a hub
		}
		require.NoError(t, s.Put(t.Context(), envs))
	}
	require.NoError(t, s.ReleaseMemory())
	before := mappedRss(t, path)
	n, err := s.Count()
	require.NoError(t, err)
	require.Equal(t, batches*batch, n)
	after := mappedRss(t, path)
	require.Less(t, after, before+256, "Count left %d KB of the file resident (was %d KB)", after, before)
}

// mappedRss is the resident KB of the process's mappings of path.
func mappedRss(t *testing.T, path string) int {
	f, err := os.Open("/proc/self/smaps")
	require.NoError(t, err)
	defer f.Close()
	total, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if fields := strings.Fields(l); len(fields) >= 6 && strings.Contains(fields[0], "-") {
			in = fields[len(fields)-1] == path
			continue
		}
		if in && strings.HasPrefix(l, "Rss:") {
			kb, err := strconv.Atoi(strings.Fields(l)[1])
			require.NoError(t, err)
			total += kb
		}
	}
	require.NoError(t, sc.Err())
	return total
}
