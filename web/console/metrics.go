package console

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
)

// MetricsToken guards h with a bearer token: a scrape must send
// "Authorization: Bearer TOKEN" (METRICS_TOKEN); an empty token leaves h open.
func MetricsToken(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Metrics serves /metrics in the Prometheus text format (version 0.0.4), computed from the
// database at each scrape, so every replica reports the same figures: messages in and out per
// channel, delivery failures, the job queue's depth, complaints per status and the overdue count.
// Only counts are exposed, never a citizen's data.
func Metrics(db *gorm.DB, now func() time.Time, log *slog.Logger) http.Handler {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		body, err := metricsText(ctx, db, now().UTC())
		if err != nil {
			log.ErrorContext(ctx, "metrics", slog.Any("error", err))
			http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(body)
	})
}

// labelEscape escapes a label value as the text format requires.
func labelEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

type metric struct {
	name, help, kind string
	samples          []sample
}

type sample struct {
	labels [][2]string
	value  int64
}

func (m metric) write(b *bytes.Buffer) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.kind)
	for _, s := range m.samples {
		b.WriteString(m.name)
		if len(s.labels) > 0 {
			b.WriteByte('{')
			for i, l := range s.labels {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(b, `%s="%s"`, l[0], labelEscape(l[1]))
			}
			b.WriteByte('}')
		}
		fmt.Fprintf(b, " %d\n", s.value)
	}
}

func metricsText(ctx context.Context, db *gorm.DB, now time.Time) ([]byte, error) {
	db = db.WithContext(ctx)
	var b bytes.Buffer

	var msgs []struct {
		Channel, Direction string
		N                  int64
	}
	if err := db.Model(&models.Message{}).Select("channel, direction, COUNT(*) AS n").Group("channel, direction").
		Order("channel, direction").Scan(&msgs).Error; err != nil {
		return nil, fmt.Errorf("count messages: %w", err)
	}
	m := metric{name: "suarawarga_messages_total", kind: "counter", help: "Chat messages received (in) and sent or queued (out), per channel."}
	for _, r := range msgs {
		m.samples = append(m.samples, sample{labels: [][2]string{{"channel", r.Channel}, {"direction", r.Direction}}, value: r.N})
	}
	m.write(&b)

	var fails []struct {
		Channel string
		N       int64
	}
	if err := db.Model(&models.Message{}).Select("channel, COUNT(*) AS n").
		Where("direction = ? AND status = ?", models.DirectionOut, models.MessageFailed).Group("channel").Order("channel").
		Scan(&fails).Error; err != nil {
		return nil, fmt.Errorf("count delivery failures: %w", err)
	}
	m = metric{name: "suarawarga_delivery_failures_total", kind: "counter", help: "Outbound messages that could not be delivered, per channel."}
	for _, r := range fails {
		m.samples = append(m.samples, sample{labels: [][2]string{{"channel", r.Channel}}, value: r.N})
	}
	m.write(&b)

	var resends []struct {
		Channel string
		N       int64
	}
	if err := db.Model(&models.Message{}).Select("channel, SUM(resends) AS n").Where("resends > 0").Group("channel").Order("channel").
		Scan(&resends).Error; err != nil {
		return nil, fmt.Errorf("count resends: %w", err)
	}
	m = metric{name: "suarawarga_delivery_resends_total", kind: "counter",
		help: "Outbound messages sent again because a crash left it unknown whether the platform had them (each may have reached the chat twice), per channel."}
	for _, r := range resends {
		m.samples = append(m.samples, sample{labels: [][2]string{{"channel", r.Channel}}, value: r.N})
	}
	m.write(&b)

	var jobs []struct {
		Queue, State string
		N            int64
	}
	if err := db.Table("river_job").Select("queue, state, COUNT(*) AS n").Where("state IN ?", []string{"available", "scheduled"}).
		Group("queue, state").Order("queue, state").Scan(&jobs).Error; err != nil {
		return nil, fmt.Errorf("count queued jobs: %w", err)
	}
	m = metric{name: "suarawarga_queue_jobs", kind: "gauge", help: "Jobs waiting in the queue (available now or scheduled for later), per queue."}
	for _, r := range jobs {
		m.samples = append(m.samples, sample{labels: [][2]string{{"queue", r.Queue}, {"state", r.State}}, value: r.N})
	}
	m.write(&b)

	var statuses []struct {
		Status string
		N      int64
	}
	if err := db.Model(&models.Complaint{}).Select("status, COUNT(*) AS n").Group("status").Scan(&statuses).Error; err != nil {
		return nil, fmt.Errorf("count complaints: %w", err)
	}
	per := map[string]int64{}
	for _, r := range statuses {
		per[r.Status] = r.N
	}
	names := complaint.Statuses()
	for st := range per {
		if !has(names, st) {
			names = append(names, st)
		}
	}
	sort.Strings(names)
	m = metric{name: "suarawarga_complaints", kind: "gauge", help: "Complaints per status."}
	for _, st := range names {
		m.samples = append(m.samples, sample{labels: [][2]string{{"status", st}}, value: per[st]})
	}
	m.write(&b)

	var late int64
	if err := db.Model(&models.Complaint{}).
		Where("status IN ? AND (resolve_by < ? OR (first_response_at IS NULL AND respond_by < ?))", openStatuses, now, now).
		Count(&late).Error; err != nil {
		return nil, fmt.Errorf("count overdue complaints: %w", err)
	}
	m = metric{name: "suarawarga_complaints_overdue", kind: "gauge", help: "Open complaints past their resolution deadline, or past the first-response deadline without a response."}
	m.samples = []sample{{value: late}}
	m.write(&b)
	return b.Bytes(), nil
}
