package bot

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// windowChannel measures the window that cannot be closed: from the moment a
// platform accepted a message (Send returns) to the moment "sent" is committed
// (SentObserver runs right after the commit). A process killed inside it sends
// the message again at its next start.
type windowChannel struct {
	mu       sync.Mutex
	accepted map[int64]time.Time
	windows  []time.Duration
}

func (c *windowChannel) Name() string                                    { return "fake" }
func (c *windowChannel) Run(ctx context.Context, _ InboundHandler) error { <-ctx.Done(); return nil }
func (c *windowChannel) Send(_ context.Context, out Outbound) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.accepted[out.Ref] = time.Now()
	return "", nil
}
func (c *windowChannel) Sent(_ context.Context, out Outbound, _ string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.windows = append(c.windows, time.Since(c.accepted[out.Ref]))
}

// BenchmarkDeliveryUncertainWindow reports the size of the window between a
// platform's acceptance and the commit of "sent" (p50, p99, max in µs), and the
// share of a busy worker's time it covers when the platform answers at once
// (worst-in-window-%): the worst chance that a kill at a random moment of
// sending causes one duplicate. A real platform's round trip (tens to hundreds
// of milliseconds) divides that share by its length.
func BenchmarkDeliveryUncertainWindow(b *testing.B) {
	for _, kind := range modeltest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			db := modeltest.Open(b, kind)
			ch := &windowChannel{accepted: map[int64]time.Time{}}
			w := &Deliverer{DB: db, Channels: map[string]Channel{"fake": ch}}
			cit := models.Citizen{Name: "Warga", Lang: "id"}
			require.NoError(b, db.Create(&cit).Error)
			const perJob = 50
			var busy time.Duration
			b.ResetTimer()
			for n := 0; n < b.N; n += perJob {
				b.StopTimer()
				for i := 0; i < perJob; i++ {
					m := models.Message{CitizenID: cit.ID, Direction: models.DirectionOut, Channel: "fake", ChatID: "c", Kind: "text",
						Text: "pesan", Status: models.MessageQueued, CreatedAt: time.Now().UTC()}
					require.NoError(b, db.Create(&m).Error)
				}
				b.StartTimer()
				began := time.Now()
				require.NoError(b, w.drain(context.Background(), ch, DeliverArgs{Channel: "fake", ChatID: "c"}, time.Now().Add(time.Hour)))
				busy += time.Since(began)
			}
			b.StopTimer()
			ws := slices.Clone(ch.windows)
			slices.Sort(ws)
			var sum time.Duration
			for _, d := range ws {
				sum += d
			}
			us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
			b.ReportMetric(us(ws[len(ws)/2]), "p50-µs")
			b.ReportMetric(us(ws[len(ws)*99/100]), "p99-µs")
			b.ReportMetric(us(ws[len(ws)-1]), "max-µs")
			b.ReportMetric(100*float64(sum)/float64(busy), "worst-in-window-%")
		})
	}
}
