package whatsappcloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/whatsappcloud/graphtest"
	"github.com/suarawarga/suarawarga/locales"
)

// testLogger discards logs unless SW_TEST_LOG asks for them.
func testLogger() *slog.Logger {
	if os.Getenv("SW_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// fastLimits pace tests that are not about pacing, with the fake enforcing the same.
var fastLimits = graphtest.Limits{PerSecond: 500, PairGap: 5 * time.Millisecond, PairBurst: 10, Slack: 20 * time.Millisecond}

// memHistory is the adapter's History kept in memory.
type memHistory struct {
	mu      sync.Mutex
	last    map[string]time.Time
	choices map[string][]bot.Choice
}

func (h *memHistory) LastInbound(_ context.Context, chat string) (time.Time, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last[chat], nil
}

func (h *memHistory) LastChoices(_ context.Context, chat string) ([]bot.Choice, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.choices[chat], nil
}

func (h *memHistory) wrote(chat string, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last[chat] = at
}

// clock is a test's domain clock, which it can move.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// statusLog records the statuses the adapter passes on.
type statusLog struct {
	mu  sync.Mutex
	got []bot.StatusUpdate
	err error
}

func (s *statusLog) HandleStatus(_ context.Context, st bot.StatusUpdate) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.got = append(s.got, st)
	return nil
}

func (s *statusLog) all() []bot.StatusUpdate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bot.StatusUpdate(nil), s.got...)
}

// rig is the adapter behind a webhook server, talking to the fake.
type rig struct {
	t        *testing.T
	fake     *graphtest.Server
	ch       *Channel
	hist     *memHistory
	clock    *clock
	statuses *statusLog
	alerts   chan Alert

	mu      sync.Mutex
	inbound []bot.Inbound
	fail    func(bot.Inbound) error
	arrived chan struct{}
}

func newRig(t *testing.T, mutate ...func(*Options, *graphtest.Options)) *rig {
	t.Helper()
	r := &rig{t: t, hist: &memHistory{last: map[string]time.Time{}, choices: map[string][]bot.Choice{}}, clock: &clock{},
		statuses: &statusLog{}, alerts: make(chan Alert, 10), arrived: make(chan struct{}, 1000)}
	tpls := DefaultTemplates()
	var approved []graphtest.Template
	for _, k := range tpls.Keys() {
		tpl, _ := tpls.For(k)
		approved = append(approved, graphtest.Template{Name: tpl.Name, Language: tpl.Language, Body: tpl.Body, Buttons: tpl.Buttons})
	}
	fo := graphtest.Options{Limits: fastLimits, Templates: approved, Now: r.clock.Now}
	cat, err := locales.Load()
	require.NoError(t, err)
	o := Options{
		Token: graphtest.DefaultToken, PhoneNumberID: graphtest.DefaultPhoneNumberID, AppSecret: graphtest.DefaultAppSecret,
		VerifyToken: graphtest.DefaultVerifyToken, History: r.hist, Statuses: r.statuses, Now: r.clock.Now,
		Limiter: NewLimiter(fastLimits.PerSecond, fastLimits.PairGap, fastLimits.PairBurst), DataDir: t.TempDir(),
		MaxPhotoBytes: 1 << 16, RequestTimeout: 2 * time.Second, Translator: cat, Logger: testLogger(),
		OnAlert: func(_ context.Context, a Alert) { r.alerts <- a },
	}
	for _, m := range mutate {
		m(&o, &fo)
	}
	r.fake = graphtest.New(t, fo)
	o.GraphURL = r.fake.URL
	ch, err := New(o)
	require.NoError(t, err)
	r.ch = ch
	srv := httptest.NewServer(ch)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ch.Run(ctx, bot.InboundHandlerFunc(r.handle)) }()
	t.Cleanup(func() { cancel(); <-done })
	require.Eventually(t, func() bool { return ch.currentHandler() != nil }, 5*time.Second, time.Millisecond)
	require.NoError(t, r.fake.Subscribe(srv.URL+WebhookPath, graphtest.DefaultVerifyToken))
	return r
}

func (r *rig) handle(_ context.Context, in bot.Inbound) error {
	r.mu.Lock()
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(in); err != nil {
			return err
		}
	}
	r.hist.wrote(in.ChatID, in.ReceivedAt)
	r.mu.Lock()
	r.inbound = append(r.inbound, in)
	r.mu.Unlock()
	r.arrived <- struct{}{}
	return nil
}

// next waits for the next inbound message handed to the bot.
func (r *rig) next() bot.Inbound {
	r.t.Helper()
	select {
	case <-r.arrived:
	case <-time.After(10 * time.Second):
		r.t.Fatal("no inbound message arrived")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inbound[len(r.inbound)-1]
}

// wrote makes a person have written at the clock's now, without a webhook.
func (r *rig) wrote(key string) {
	r.fake.AddUser(graphtest.User{Phone: key})
	r.fake.SendText(key, "halo")
	r.next()
}

func (r *rig) send(out bot.Outbound) (string, error) {
	out.Channel = Name
	return r.ch.Send(context.Background(), out)
}

func TestNewRejectsBadConfig(t *testing.T) {
	h := &memHistory{}
	good := Options{Token: "t", PhoneNumberID: "123", AppSecret: "s", VerifyToken: "v", History: h}
	for name, mutate := range map[string]func(*Options){
		"token":     func(o *Options) { o.Token = "" },
		"phone id":  func(o *Options) { o.PhoneNumberID = "+62 811" },
		"secret":    func(o *Options) { o.AppSecret = "" },
		"verify":    func(o *Options) { o.VerifyToken = "" },
		"history":   func(o *Options) { o.History = nil },
		"no digits": func(o *Options) { o.PhoneNumberID = "" },
	} {
		o := good
		mutate(&o)
		_, err := New(o)
		require.Error(t, err, name)
	}
	_, err := New(good)
	require.NoError(t, err)
}

// TestTranslate covers every inbound kind.
func TestTranslate(t *testing.T) {
	t.Parallel()
	contacts := []Contact{{WaID: "6281", UserID: "ID.1"}}
	contacts[0].Profile.Name = "Siti"
	for _, tc := range []struct {
		name string
		raw  string
		want bot.Inbound
		page int
		skip bool
		img  bool
	}{
		{name: "text", raw: `"type":"text","text":{"body":"  jalan rusak  "}`, want: bot.Inbound{Kind: bot.KindText, Text: "  jalan rusak  "}},
		{name: "button reply", raw: `"type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"kirim","title":"✅ Kirim"}}`,
			want: bot.Inbound{Kind: bot.KindChoice, ChoiceID: "kirim", Text: "✅ Kirim"}},
		{name: "list reply", raw: `"type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"JLN","title":"Jalan & jembatan"}}`,
			want: bot.Inbound{Kind: bot.KindChoice, ChoiceID: "JLN", Text: "Jalan & jembatan"}},
		{name: "list reply shortened", raw: `"type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"r","title":"Rahasiakan identitas…","description":"Rahasiakan identitas saya"}}`,
			want: bot.Inbound{Kind: bot.KindChoice, ChoiceID: "r", Text: "Rahasiakan identitas saya"}},
		{name: "more rows", raw: `"type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"~p9","title":"Lainnya…"}}`, page: 9},
		{name: "template quick reply", raw: `"type":"button","button":{"payload":"ya","text":"Ya, sudah selesai"}`,
			want: bot.Inbound{Kind: bot.KindChoice, ChoiceID: "ya", Text: "Ya, sudah selesai"}},
		{name: "quick reply without payload", raw: `"type":"button","button":{"text":"Belum"}`, want: bot.Inbound{Kind: bot.KindText, Text: "Belum"}},
		{name: "location", raw: `"type":"location","location":{"latitude":-3.39,"longitude":104.83,"name":"Pasar","address":"Jl. Merdeka"}`,
			want: bot.Inbound{Kind: bot.KindLocation, Lat: -3.39, Lng: 104.83, Text: "Pasar Jl. Merdeka"}},
		{name: "image", raw: `"type":"image","image":{"id":"m1","mime_type":"image/jpeg","caption":"lubang"}`,
			want: bot.Inbound{Kind: bot.KindPhoto, PhotoMIME: "image/jpeg", Text: "lubang"}, img: true},
		{name: "image document", raw: `"type":"document","document":{"id":"m2","mime_type":"image/png"}`,
			want: bot.Inbound{Kind: bot.KindPhoto, PhotoMIME: "image/png"}, img: true},
		{name: "pdf", raw: `"type":"document","document":{"id":"m3","mime_type":"application/pdf"}`, want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "document"}},
		{name: "voice", raw: `"type":"audio","audio":{"id":"m4","voice":true}`, want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "voice"}},
		{name: "video", raw: `"type":"video","video":{"id":"m5"}`, want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "video"}},
		{name: "sticker", raw: `"type":"sticker","sticker":{"id":"m6"}`, want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "sticker"}},
		{name: "contacts", raw: `"type":"contacts","contacts":[{"name":{"formatted_name":"A"}}]`, want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "contact"}},
		{name: "reaction", raw: `"type":"reaction","reaction":{"message_id":"x","emoji":"👍"}`, want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "reaction"}},
		{name: "reaction removed", raw: `"type":"reaction","reaction":{"message_id":"x","emoji":""}`, skip: true},
		{name: "system", raw: `"type":"system","system":{"body":"changed"}`, skip: true},
		{name: "unsupported", raw: `"type":"unsupported","errors":[{"code":131051}]`, want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "other"}},
		{name: "future kind", raw: `"type":"poll"`, want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "other"}},
		{name: "text without body", raw: `"type":"text"`, want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "other"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m Message
			require.NoError(t, jsonUnmarshal(`{"from":"6281","from_user_id":"ID.1","id":"wamid.A","timestamp":"1767225600",`+tc.raw+`}`, &m))
			got := Translate(m, contacts)
			if tc.skip {
				require.True(t, got.Ignore)
				return
			}
			require.False(t, got.Ignore)
			if tc.page > 0 {
				require.Equal(t, tc.page, got.Page)
				return
			}
			require.Equal(t, -1, got.Page)
			require.Equal(t, tc.img, got.Media != nil)
			want := tc.want
			want.Channel, want.ChatID, want.MessageID, want.Name = Name, "6281", "wamid.A", "Siti"
			want.ReceivedAt = time.Unix(1767225600, 0)
			require.Equal(t, want, got.Inbound)
		})
	}
}

func TestTranslateSenders(t *testing.T) {
	t.Parallel()
	var m Message
	require.NoError(t, jsonUnmarshal(`{"from_user_id":"ID.77","id":"wamid.B","timestamp":1767225600123,"type":"text","text":{"body":"halo"},
		"context":{"from":"6211","id":"wamid.BOT"}}`, &m))
	got := Translate(m, []Contact{{UserID: "ID.77"}, {WaID: "999"}})
	require.Equal(t, "ID.77", got.Inbound.ChatID, "a username-only sender is addressed by the business-scoped id")
	require.Equal(t, "wamid.BOT", got.Inbound.ReplyTo)
	require.Equal(t, time.UnixMilli(1767225600123), got.Inbound.ReceivedAt, "milliseconds are read as such")
	require.False(t, isPhone("ID.77"))
	require.True(t, isPhone("6281234"))
	require.True(t, unixTime([]byte(`"abc"`)).IsZero())
}

// TestSignature refuses every webhook call without the right signature and handles none of them.
func TestSignature(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",
		"metadata":{"phone_number_id":"` + graphtest.DefaultPhoneNumberID + `"},"contacts":[{"profile":{"name":"A"},"wa_id":"62812"}],
		"messages":[{"from":"62812","id":"wamid.SIG","timestamp":"1767225600","type":"text","text":{"body":"halo"}}]}}]}]}`)
	changed := append([]byte(nil), body...)
	changed[len(changed)-10] ^= 1
	for name, sig := range map[string]string{
		"missing":         "",
		"not hex":         "sha256=zz",
		"no prefix":       strings.TrimPrefix(Sign(graphtest.DefaultAppSecret, body), "sha256="),
		"sha1":            "sha1=" + strings.TrimPrefix(Sign(graphtest.DefaultAppSecret, body), "sha256="),
		"wrong secret":    Sign("another-secret", body),
		"for other bytes": Sign(graphtest.DefaultAppSecret, changed),
		"truncated":       Sign(graphtest.DefaultAppSecret, body)[:40],
	} {
		status, err := r.fake.PostWebhook(body, sig)
		require.NoError(t, err)
		require.Equal(t, http.StatusForbidden, status, name)
	}
	status, err := r.fake.PostWebhook(changed, Sign(graphtest.DefaultAppSecret, body))
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, status, "a body changed by one byte")
	r.mu.Lock()
	require.Empty(t, r.inbound, "nothing refused was handled")
	r.mu.Unlock()
	status, err = r.fake.PostWebhook(body, Sign(graphtest.DefaultAppSecret, body))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "halo", r.next().Text)
	require.False(t, r.ch.State().LastWebhook.IsZero())
}

func TestVerification(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	srv := httptest.NewServer(r.ch)
	defer srv.Close()
	get := func(q string) (int, string) {
		resp, err := http.Get(srv.URL + WebhookPath + "?" + q)
		require.NoError(t, err)
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = fmt.Fprint(&b, readAll(resp))
		return resp.StatusCode, b.String()
	}
	code, body := get("hub.mode=subscribe&hub.verify_token=" + graphtest.DefaultVerifyToken + "&hub.challenge=1158201444")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "1158201444", body)
	for _, q := range []string{
		"hub.mode=subscribe&hub.verify_token=salah&hub.challenge=1",
		"hub.mode=subscribe&hub.challenge=1",
		"hub.mode=unsubscribe&hub.verify_token=" + graphtest.DefaultVerifyToken + "&hub.challenge=1",
	} {
		code, _ := get(q)
		require.Equal(t, http.StatusForbidden, code, q)
	}
	require.Error(t, r.fake.Subscribe(srv.URL+WebhookPath, "salah"))
}

// TestWebhookRetriesUntilCommitted answers 500 while the handler fails, and
// Meta's redelivery is handled once it works.
func TestWebhookRetriesUntilCommitted(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	var tries sync.Map
	r.fail = func(in bot.Inbound) error {
		n, _ := tries.LoadOrStore(in.MessageID, new(int))
		*n.(*int)++
		if *n.(*int) < 3 {
			return errors.New("database down")
		}
		return nil
	}
	id := r.fake.SendText("62813", "tolong")
	in := r.next()
	require.Equal(t, id, in.MessageID)
	n, _ := tries.Load(id)
	require.Equal(t, 3, *n.(*int))
	require.NoError(t, r.fake.WaitIdle(5*time.Second))
	require.Eventually(t, func() bool { ids, typing := r.fake.Reads(); return len(ids) == 1 && typing == 1 }, 5*time.Second, 10*time.Millisecond,
		"the message is marked read with a typing indicator once, when committed")
}

// TestPhotoFetch downloads an inbound photo at once, with the token, checks its hash and size.
func TestPhotoFetch(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	img := []byte("\x89PNG\r\n\x1a\n fake image bytes")
	r.fake.SendPhoto("62814", img, "image/png", "jalan")
	in := r.next()
	require.Equal(t, bot.KindPhoto, in.Kind)
	require.Equal(t, img, in.Photo)
	require.Equal(t, "jalan", in.Text)

	big := make([]byte, 70000)
	r.fake.SendPhoto("62814", big, "image/jpeg", "")
	in = r.next()
	require.Len(t, in.Photo, 1<<16+1, "a photo over the limit arrives as a refusal, not downloaded")

	r.fake.SendDocumentPhoto("62814", img, "image/png")
	require.Equal(t, img, r.next().Photo)

	// A photo WhatsApp no longer has is handed over empty; the handler says it could not be used.
	r.fake.SetFaults(func(req graphtest.Request) *graphtest.Fault {
		if req.Kind == "media" {
			return &graphtest.Fault{Code: 100}
		}
		return nil
	})
	r.fake.SendPhoto("62814", img, "image/png", "")
	in = r.next()
	require.Equal(t, bot.KindPhoto, in.Kind)
	require.Nil(t, in.Photo)

	// A download that fails for now is retried by Meta's redelivery.
	var n sync.Map
	r.fake.SetFaults(func(req graphtest.Request) *graphtest.Fault {
		if req.Kind == "download" {
			if _, loaded := n.LoadOrStore("x", true); !loaded {
				return &graphtest.Fault{HTTPStatus: http.StatusBadGateway}
			}
		}
		return nil
	})
	r.fake.SendPhoto("62814", img, "image/png", "")
	require.Equal(t, img, r.next().Photo)
	require.Equal(t, 1, r.fake.Count("download", http.StatusBadGateway))
}

// TestStatuses passes every status on to the delivery worker, with the row and part it names.
func TestStatuses(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.wrote("62815")
	_, err := r.send(bot.Outbound{ChatID: "62815", Text: "Laporan diterima.", Ref: 41})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(r.statuses.all()) >= 2 }, 5*time.Second, 10*time.Millisecond)
	got := r.statuses.all()
	require.Equal(t, bot.DeliverySent, got[0].State)
	require.Equal(t, bot.DeliveryDelivered, got[1].State)
	require.Equal(t, int64(41), got[0].Ref)
	require.True(t, got[0].Final)
	r.fake.SendText("62815", "terima kasih")
	r.next()
	require.Eventually(t, func() bool {
		all := r.statuses.all()
		return all[len(all)-1].State == bot.DeliveryRead
	}, 5*time.Second, 10*time.Millisecond, "read once the person writes back")

	// A status the worker cannot record is delivered again.
	r.statuses.mu.Lock()
	r.statuses.err = errors.New("database down")
	r.statuses.mu.Unlock()
	_, err = r.send(bot.Outbound{ChatID: "62815", Text: "Kabar kedua.", Ref: 42})
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond)
	require.Positive(t, r.fake.Pending())
	r.statuses.mu.Lock()
	r.statuses.err = nil
	r.statuses.mu.Unlock()
	require.NoError(t, r.fake.WaitIdle(5*time.Second))
	var refs []int64
	for _, st := range r.statuses.all() {
		refs = append(refs, st.Ref)
	}
	require.Contains(t, refs, int64(42))
}

// TestAsyncFailures maps the failures Meta reports after accepting a send.
func TestAsyncFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code int
		want error
	}{
		{CodeUndeliverable, bot.ErrUnreachable},
		{CodeReEngagement, bot.ErrResend},
		{CodePairRateLimit, bot.ErrResend},
		{132001, bot.ErrAwaitReply},
		{131000, nil},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			r.wrote("62816")
			r.fake.SetFaults(func(req graphtest.Request) *graphtest.Fault {
				if req.Kind == "send" {
					return &graphtest.Fault{Code: tc.code, Async: true}
				}
				return nil
			})
			_, err := r.send(bot.Outbound{ChatID: "62816", Text: "x", Ref: 7})
			require.NoError(t, err, "accepted first")
			require.Eventually(t, func() bool { return len(r.statuses.all()) == 1 }, 5*time.Second, 10*time.Millisecond)
			st := r.statuses.all()[0]
			require.Equal(t, bot.DeliveryFailed, st.State)
			require.Error(t, st.Err)
			if tc.want != nil {
				require.ErrorIs(t, st.Err, tc.want)
			} else {
				for _, e := range []error{bot.ErrUnreachable, bot.ErrResend, bot.ErrAwaitReply} {
					require.NotErrorIs(t, st.Err, e)
				}
			}
		})
	}
}

func jsonUnmarshal(s string, v any) error { return jsonDecode([]byte(s), v) }

// TestStatusTable reads every status Meta sends, and each failure's code, into
// what the delivery worker records.
func TestStatusTable(t *testing.T) {
	t.Parallel()
	at := time.Unix(1767225600, 0)
	for _, tc := range []struct {
		name   string
		raw    string
		skip   bool
		state  string
		ref    int64
		final  bool
		chat   string
		is     error // the error the worker acts on; nil for a plain failure it retries
		noErrs bool
	}{
		{name: "sent", raw: `"status":"sent","recipient_id":"6281","biz_opaque_callback_data":"sw:41:1:2"`, state: bot.DeliverySent, ref: 41},
		{name: "delivered, last part", raw: `"status":"delivered","recipient_id":"6281","biz_opaque_callback_data":"sw:41:2:2"`,
			state: bot.DeliveryDelivered, ref: 41, final: true},
		{name: "read", raw: `"status":"read","recipient_id":"6281","biz_opaque_callback_data":"sw:41:2:2"`, state: bot.DeliveryRead, ref: 41, final: true},
		{name: "read by a username-only person", raw: `"status":"read","recipient_user_id":"ID.77"`, state: bot.DeliveryRead, chat: "ID.77"},
		{name: "without our callback", raw: `"status":"delivered","recipient_id":"6281","biz_opaque_callback_data":"other"`, state: bot.DeliveryDelivered},
		{name: "deleted", raw: `"status":"deleted","recipient_id":"6281"`, skip: true},
		{name: "warning", raw: `"status":"warning","recipient_id":"6281"`, skip: true},
		{name: "failed without a reason", raw: `"status":"failed","recipient_id":"6281"`, state: bot.DeliveryFailed, noErrs: true},
		{name: "failed 131026 undeliverable or blocked", raw: failed(131026), state: bot.DeliveryFailed, is: bot.ErrUnreachable},
		{name: "failed 131047 outside the window", raw: failed(131047), state: bot.DeliveryFailed, is: bot.ErrResend},
		{name: "failed 130429 throughput", raw: failed(130429), state: bot.DeliveryFailed, is: bot.ErrResend},
		{name: "failed 131056 pair rate", raw: failed(131056), state: bot.DeliveryFailed, is: bot.ErrResend},
		{name: "failed 190 token", raw: failed(190), state: bot.DeliveryFailed, is: bot.ErrResend},
		{name: "failed 368 restricted", raw: failed(368), state: bot.DeliveryFailed, is: bot.ErrResend},
		{name: "failed 132001 template", raw: failed(132001), state: bot.DeliveryFailed, is: bot.ErrAwaitReply},
		{name: "failed 131000 generic", raw: failed(131000), state: bot.DeliveryFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &memHistory{last: map[string]time.Time{"6281": at}}
			ch, err := New(Options{Token: "t0ken", PhoneNumberID: "123", AppSecret: "s", VerifyToken: "v", History: h, Logger: testLogger(),
				Now: func() time.Time { return at.Add(time.Hour) }})
			require.NoError(t, err)
			var s Status
			require.NoError(t, jsonUnmarshal(`{"id":"wamid.OUT1","timestamp":"1767225600123",`+tc.raw+`}`, &s))
			st, ok := ch.statusUpdate(context.Background(), s)
			if tc.skip {
				require.False(t, ok)
				return
			}
			require.True(t, ok)
			require.Equal(t, tc.state, st.State)
			require.Equal(t, Name, st.Channel)
			require.Equal(t, "wamid.OUT1", st.PlatformID)
			require.Equal(t, tc.ref, st.Ref)
			require.Equal(t, tc.final, st.Final)
			require.Equal(t, time.UnixMilli(1767225600123), st.At, "a timestamp in milliseconds")
			if tc.state != bot.DeliveryFailed {
				require.NoError(t, st.Err)
				return
			}
			require.Error(t, st.Err)
			if tc.is != nil {
				require.ErrorIs(t, st.Err, tc.is)
				return
			}
			for _, e := range []error{bot.ErrUnreachable, bot.ErrResend, bot.ErrAwaitReply, bot.ErrRejected} {
				require.NotErrorIs(t, st.Err, e, "a plain failure: the worker retries it")
			}
		})
	}
}

func failed(code int) string {
	return fmt.Sprintf(`"status":"failed","recipient_id":"6281","errors":[{"code":%d,"title":"x","error_data":{"details":"y"}}]`, code)
}

// TestMillisecondTimestamps: a webhook that writes times in milliseconds opens
// and closes the 24-hour window at the right moments.
func TestMillisecondTimestamps(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(_ *Options, fo *graphtest.Options) { fo.MillisTimestamps = true })
	const to = "62824"
	r.fake.SendText(to, "halo")
	in := r.next()
	require.WithinDuration(t, r.clock.Now(), in.ReceivedAt, 2*time.Second)
	_, err := r.send(bot.Outbound{ChatID: to, Text: "Selamat datang", Ref: 3})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(r.statuses.all()) >= 2 }, 5*time.Second, 10*time.Millisecond)
	require.WithinDuration(t, r.clock.Now(), r.statuses.all()[0].At, 2*time.Second)
	r.clock.advance(24 * time.Hour)
	_, err = r.send(bot.Outbound{ChatID: to, Text: "Masih di sana?"})
	require.ErrorIs(t, err, bot.ErrRejected, "the window closed 24 hours after the message")
}
