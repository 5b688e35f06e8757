package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/whatsappcloud"
	"github.com/suarawarga/suarawarga/bot/whatsappcloud/graphtest"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// BenchmarkCloudOutbound queues 3,000 replies to 1,000 chats that wrote in the
// last hour and lets the delivery worker send them at the Cloud API's default
// limits (80/s for the number; one every 6 s to a person after a burst of 10),
// against a fake that enforces the same and answers every status. It reports
// the achieved rate, which must be within 2% of 80 messages/s with no 130429,
// no 131056 and no broken rule. About 40 s per database:
// go test ./app -run '^$' -bench BenchmarkCloudOutbound -benchtime 1x
func BenchmarkCloudOutbound(b *testing.B) {
	for _, kind := range modeltest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			for range b.N {
				db := benchDB(b, kind)
				limits := graphtest.DefaultLimits()
				start := make(chan struct{})
				a, fake, cancel, done := runCloud(b, db, cloudOptions{limits: limits, start: start})
				const chats, each = 1000, 3
				ctx := context.Background()
				now := time.Now()
				for i := range chats {
					phone := fmt.Sprintf("62814%07d", i)
					cit := models.Citizen{Name: "Warga", Lang: "id"}
					require.NoError(b, db.Create(&cit).Error)
					wamid := fmt.Sprintf("wamid.BENCH%07d", i)
					require.NoError(b, db.Create(&models.Message{CitizenID: cit.ID, Direction: models.DirectionIn, Channel: whatsappcloud.Name,
						ChatID: phone, PlatformID: &wamid, Kind: "text", Text: "halo", Status: models.MessageReceived, CreatedAt: now.Add(-time.Hour).UTC()}).Error)
					fake.AddUser(graphtest.User{Phone: phone})
					fake.MarkWrote(phone)
					outs := make([]bot.Outbound, each)
					for j := range outs {
						outs[j] = bot.Outbound{Text: fmt.Sprintf("Kabar %d untuk warga %d.", j+1, i)}
					}
					require.NoError(b, db.Transaction(func(tx *gorm.DB) error {
						return bot.QueueOutbound(ctx, tx, a.River, cit.ID, nil, whatsappcloud.Name, phone, outs, time.Now())
					}))
				}
				close(start) // the queue is full: sending starts
				deadline := time.Now().Add(200 * time.Second)
				for fake.Sent() < chats*each && time.Now().Before(deadline) {
					time.Sleep(100 * time.Millisecond)
				}
				require.Equal(b, chats*each, fake.Sent())
				times := fake.SendTimes()
				span := times[len(times)-1].Sub(times[0])
				rate := float64(len(times)-1) / span.Seconds()
				if testing.Verbose() {
					perSecond := map[int]int{}
					for _, t := range times {
						perSecond[int(t.Sub(times[0]).Seconds())]++
					}
					var line []string
					for s := 0; s <= int(span.Seconds()); s++ {
						line = append(line, fmt.Sprint(perSecond[s]))
					}
					b.Logf("sends per second: %s", strings.Join(line, " "))
				}
				b.ReportMetric(rate, "msg/s")
				b.ReportMetric(float64(fake.Count("send", whatsappcloud.CodeRateLimit)+fake.Count("send", whatsappcloud.CodePairRateLimit)), "rate_errors")
				b.ReportMetric(float64(len(fake.Violations())), "violations")
				require.InDelta(b, 80, rate, 1.6, "achieved rate within 2%% of 80/s")
				require.Zero(b, fake.Count("send", whatsappcloud.CodeRateLimit))
				require.Zero(b, fake.Count("send", whatsappcloud.CodePairRateLimit))
				require.Empty(b, fake.Violations())
				cancel()
				require.NoError(b, <-done)
			}
		})
	}
}

// BenchmarkCloudInbound measures people's messages per second from the fake's
// signed webhook batches (50 messages a call) through the signature check,
// dispatcher, handler and database to replies accepted by the fake, with the
// fake's own handler time reported separately (fake_ms, fake_share). Run on
// PostgreSQL with TEST_DATABASE_URL set:
// go test ./app -run '^$' -bench BenchmarkCloudInbound -benchtime 1x
func BenchmarkCloudInbound(b *testing.B) {
	fast := graphtest.Limits{PerSecond: 1e6, PairGap: time.Microsecond, PairBurst: 100, Slack: time.Millisecond}
	for _, kind := range modeltest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			for range b.N {
				db := benchDB(b, kind)
				_, fake, cancel, done := runCloud(b, db, cloudOptions{limits: fast, fakeOp: func(o *graphtest.Options) { o.NoStatuses = true }})
				const chats, each, perCall = 500, 4, 50
				words := []string{"/start", "menu", "bantuan", "menu"}
				start := time.Now()
				for j := range each {
					var batch []graphtest.BatchItem
					for i := range chats {
						batch = append(batch, graphtest.BatchItem{Key: fmt.Sprintf("62815%07d", i), Text: words[j]})
						if len(batch) == perCall {
							fake.SendBatch(batch)
							batch = nil
						}
					}
					// A person's next message only after the bot answered the previous one.
					for fake.Sent() < chats*(j+1) && time.Since(start) < 300*time.Second {
						time.Sleep(10 * time.Millisecond)
					}
				}
				elapsed := time.Since(start)
				require.Equal(b, chats*each, fake.Sent())
				st := fake.Stats()
				b.ReportMetric(float64(chats*each)/elapsed.Seconds(), "msgs/s")
				b.ReportMetric(float64(st.HandlerTime.Milliseconds()), "fake_ms")
				b.ReportMetric(st.HandlerTime.Seconds()/elapsed.Seconds(), "fake_share")
				b.ReportMetric(float64(fake.Count("send", http.StatusOK)), "sends")
				cancel()
				require.NoError(b, <-done)
			}
		})
	}
}
