package intel

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Run the figures with:
//
//	go test -run '^$' -bench 'Import1M|Lookup' -benchtime=1x ./internal/intel/
//
// BenchmarkImport1M reports the seconds one import of a million entries
// takes and the database size after it; BenchmarkLookup reports lookups per
// second against a store of a million entries, in batches of 100 (as
// intel.Lookup receives them) and one at a time.

const benchEntries = 1_000_000

// benchFeed returns a plain list of n distinct entries: 55% IPv4
// addresses, 20% domains, 15% URLs, 9.9% SHA-256 hashes and 0.1% /24
// ranges, the mix of the abuse.ch and Spamhaus exports.
func benchFeed(n int) (feed string, values []string) {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.Grow(n * 48)
	b.WriteString("# generated benchmark feed\n")
	values = make([]string, 0, n)
	for i := 0; i < n; i++ {
		var v string
		switch k := i % 1000; {
		case k < 550:
			v = fmt.Sprintf("%d.%d.%d.%d", 11+i%200, (i/200)%256, (i/51200)%256, 1+r.IntN(254))
		case k < 750:
			v = fmt.Sprintf("h%d-%x.example-%d.com", i, r.Uint32(), i%97)
		case k < 900:
			v = fmt.Sprintf("http://d%d.example-%d.net/p/%x.bin", i%5000, i%89, r.Uint64())
		case k < 999:
			v = fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), uint64(i))
		default:
			v = fmt.Sprintf("%d.%d.%d.0/24", 220+i%20, (i/20)%256, (i/5120)%256)
		}
		values = append(values, v)
		b.WriteString(v)
		b.WriteByte('\n')
	}
	return b.String(), values
}

// benchImport imports the feed into a fresh SQLite database under dir.
func benchImport(b *testing.B, dir, feed string) (*Store, *ImportReport, time.Duration) {
	b.Helper()
	s := openTest(b, filepath.Join(dir, "spotter.db"))
	start := time.Now()
	rep, err := s.ImportReader(context.Background(), strings.NewReader(feed), "bench.txt",
		ImportOptions{Source: "bench", Format: FormatText, Defaults: Defaults{Confidence: 80, Tags: []string{"bench"}}})
	if err != nil {
		b.Fatal(err)
	}
	return s, rep, time.Since(start)
}

// dbSize checkpoints the write-ahead log and returns the database size in MB.
func dbSize(b *testing.B, s *Store, dir string) float64 {
	b.Helper()
	if _, err := s.DB().DB().Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, n := range []string{"spotter.db", "spotter.db-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, n)); err == nil {
			total += fi.Size()
		}
	}
	return float64(total) / 1e6
}

func BenchmarkImport1M(b *testing.B) {
	feed, _ := benchFeed(benchEntries)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		s, rep, took := benchImport(b, dir, feed)
		if rep.Added != benchEntries {
			b.Fatalf("import: %s", rep.Summary())
		}
		b.StopTimer()
		b.ReportMetric(took.Seconds(), "s/import")
		b.ReportMetric(dbSize(b, s, dir), "MB")
		b.ReportMetric(float64(benchEntries)/took.Seconds(), "entries/s")
		// Importing the same feed again reads everything and writes nothing.
		start := time.Now()
		again, err := s.ImportReader(context.Background(), strings.NewReader(feed), "bench.txt",
			ImportOptions{Source: "bench", Format: FormatText, Defaults: Defaults{Confidence: 80, Tags: []string{"bench"}}})
		if err != nil || again.Changed() {
			b.Fatalf("re-import: %v %s", err, again.Summary())
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/reimport")
		b.StartTimer()
	}
}

func BenchmarkLookup(b *testing.B) {
	feed, values := benchFeed(benchEntries)
	dir := b.TempDir()
	s, _, _ := benchImport(b, dir, feed)
	// 100,000 queries: half stored values, half absent ones of the same
	// shapes (addresses in 9.0.0.0/8 and 240.0.0.0/4 are never generated).
	r := rand.New(rand.NewPCG(3, 4))
	queries := make([]string, 0, 100_000)
	for i := 0; len(queries) < 100_000; i++ {
		if i%2 == 0 {
			queries = append(queries, values[r.IntN(len(values))])
			continue
		}
		switch i % 10 {
		case 1, 3, 5:
			queries = append(queries, fmt.Sprintf("9.%d.%d.%d", r.IntN(256), r.IntN(256), 1+r.IntN(254)))
		case 7:
			queries = append(queries, fmt.Sprintf("www.miss-%d.example.org", i))
		default:
			queries = append(queries, fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()))
		}
	}
	ctx := context.Background()
	for _, bc := range []struct {
		name  string
		batch int
		n     int
	}{{"batch100", 100, 100_000}, {"single", 1, 20_000}} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				start := time.Now()
				hits := 0
				for j := 0; j < bc.n; j += bc.batch {
					res, err := s.Lookup(ctx, queries[j:min(j+bc.batch, bc.n)]...)
					if err != nil {
						b.Fatal(err)
					}
					for _, x := range res {
						if len(x.Matches) > 0 {
							hits++
						}
					}
				}
				took := time.Since(start)
				b.ReportMetric(float64(bc.n)/took.Seconds(), "lookups/s")
				b.ReportMetric(float64(hits)/float64(bc.n)*100, "%hits")
			}
		})
	}
}
