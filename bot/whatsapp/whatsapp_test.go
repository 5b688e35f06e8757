package whatsapp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/whatsapp"
	"github.com/suarawarga/suarawarga/bot/whatsapp/whatsapptest"
)

const phone = "6281234567890"

var chatJID = phone + "@s.whatsapp.net"

func TestTranslate(t *testing.T) {
	t.Parallel()
	quoted := &waE2E.ContextInfo{StanzaID: proto.String("3EB0BOT000007")}
	ev := func(m *waE2E.Message) *events.Message { return whatsapptest.Event(phone, "MSG1", m) }
	group := ev(whatsapptest.TextMessage("halo"))
	group.Info.Chat, group.Info.IsGroup = types.NewJID("1203630", types.GroupServer), true
	status := ev(whatsapptest.TextMessage("story"))
	status.Info.Chat = types.StatusBroadcastJID
	own := ev(whatsapptest.TextMessage("dari bot"))
	own.Info.IsFromMe = true
	edited := ev(whatsapptest.TextMessage("ubah"))
	edited.IsEdit = true
	news := ev(whatsapptest.TextMessage("berita"))
	news.Info.Chat = types.NewJID("1200", types.NewsletterServer)

	cases := []struct {
		name   string
		evt    *events.Message
		ignore bool
		want   bot.Inbound
		media  bool
	}{
		{name: "plain text", evt: ev(whatsapptest.TextMessage("/start")), want: bot.Inbound{Kind: bot.KindText, Text: "/start"}},
		{name: "extended text", evt: ev(&waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("lihat https://x.id")}}),
			want: bot.Inbound{Kind: bot.KindText, Text: "lihat https://x.id"}},
		{name: "reply quoting a bot message", evt: ev(&waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("sudah dicek"), ContextInfo: quoted}}),
			want: bot.Inbound{Kind: bot.KindText, Text: "sudah dicek", ReplyTo: "3EB0BOT000007"}},
		{name: "hash reply command", evt: ev(whatsapptest.TextMessage("#OKI-2611-0001 balas Tim meluncur besok")),
			want: bot.Inbound{Kind: bot.KindText, Text: "/balas OKI-2611-0001 Tim meluncur besok"}},
		{name: "location", evt: ev(whatsapptest.LocationMessage(-3.39, 104.83)), want: bot.Inbound{Kind: bot.KindLocation, Lat: -3.39, Lng: 104.83}},
		{name: "live location", evt: ev(&waE2E.Message{LiveLocationMessage: &waE2E.LiveLocationMessage{DegreesLatitude: proto.Float64(-3.1), DegreesLongitude: proto.Float64(104.9)}}),
			want: bot.Inbound{Kind: bot.KindLocation, Lat: -3.1, Lng: 104.9}},
		{name: "photo", evt: ev(&waE2E.Message{ImageMessage: &waE2E.ImageMessage{DirectPath: proto.String("/p"), Mimetype: proto.String("image/jpeg"), FileLength: proto.Uint64(10), ContextInfo: quoted}}),
			want: bot.Inbound{Kind: bot.KindPhoto, PhotoMIME: "image/jpeg", ReplyTo: "3EB0BOT000007"}, media: true},
		{name: "photo as document", evt: ev(&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("image/png")}}),
			want: bot.Inbound{Kind: bot.KindPhoto, PhotoMIME: "image/png"}, media: true},
		{name: "voice note", evt: ev(whatsapptest.UnsupportedMessage("voice")), want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "voice"}},
		{name: "sticker", evt: ev(whatsapptest.UnsupportedMessage("sticker")), want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "sticker"}},
		{name: "video", evt: ev(whatsapptest.UnsupportedMessage("video")), want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "video"}},
		{name: "document", evt: ev(whatsapptest.UnsupportedMessage("document")), want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "document"}},
		{name: "contact", evt: ev(whatsapptest.UnsupportedMessage("contact")), want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "contact"}},
		{name: "contacts array", evt: ev(&waE2E.Message{ContactsArrayMessage: &waE2E.ContactsArrayMessage{}}), want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "contact"}},
		{name: "edit", evt: edited, want: bot.Inbound{Kind: bot.KindUnsupported, Unsupported: "edited"}},
		{name: "group ignored", evt: group, ignore: true},
		{name: "status broadcast ignored", evt: status, ignore: true},
		{name: "newsletter ignored", evt: news, ignore: true},
		{name: "own message ignored", evt: own, ignore: true},
		{name: "reaction ignored", evt: ev(&waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Text: proto.String("👍")}}), ignore: true},
		{name: "protocol message ignored", evt: ev(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{}}), ignore: true},
		{name: "empty ignored", evt: ev(&waE2E.Message{}), ignore: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := whatsapp.Translate(tc.evt)
			if tc.ignore {
				require.False(t, ok)
				return
			}
			require.True(t, ok)
			want := tc.want
			want.Channel, want.ChatID, want.MessageID, want.Name = whatsapp.Name, chatJID, "MSG1", "Warga "+phone
			require.Equal(t, want, got.Inbound)
			require.Equal(t, tc.media, got.Media != nil)
		})
	}
}

func TestNumberedListAndMatch(t *testing.T) {
	t.Parallel()
	choices := []bot.Choice{{ID: "aksi:terima:OKI-2611-0001", Label: "✅ Terima"}, {ID: "aksi:balas:OKI-2611-0001", Label: "💬 Balas"}}
	require.Equal(t, "1. ✅ Terima\n2. 💬 Balas", whatsapp.NumberedList(choices))
	for text, want := range map[string]string{"1": "aksi:terima:OKI-2611-0001", " 2. ": "aksi:balas:OKI-2611-0001", "💬 balas": "aksi:balas:OKI-2611-0001"} {
		ch, ok := whatsapp.MatchChoice(text, choices)
		require.True(t, ok, text)
		require.Equal(t, want, ch.ID)
	}
	for _, text := range []string{"3", "0", "terima kasih", ""} {
		_, ok := whatsapp.MatchChoice(text, choices)
		require.False(t, ok, text)
	}
	parts := whatsapp.SplitText(strings.Repeat("Kalimat pendek. ", 600), whatsapp.MaxTextLen)
	require.Greater(t, len(parts), 1)
	for _, p := range parts {
		require.LessOrEqual(t, len([]rune(p)), whatsapp.MaxTextLen)
	}
}

type bundle struct {
	ch      *whatsapp.Channel
	fake    *whatsapptest.Client
	clock   *whatsapptest.Clock
	hist    *whatsapptest.MemoryHistory
	got     chan bot.Inbound
	fail    error
	mu      sync.Mutex
	loggedO chan struct{}
}

type trans struct{}

func (trans) T(_, key string, data map[string]any) string {
	if n, ok := data["n"]; ok {
		return key + ":" + itoa(n.(int))
	}
	return key
}

func itoa(n int) string { return string(rune('0' + n)) }

func setup(t *testing.T, pacing whatsapp.Pacing) *bundle {
	t.Helper()
	b := &bundle{clock: whatsapptest.NewClock(time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)), hist: whatsapptest.NewMemoryHistory(),
		got: make(chan bot.Inbound, 100), loggedO: make(chan struct{})}
	b.fake = whatsapptest.New(b.clock)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bukti.png"), []byte("\x89PNG\r\n\x1a\nxx"), 0o644))
	var once sync.Once
	ch, err := whatsapp.New(whatsapp.Options{
		NewClient: func(context.Context) (whatsapp.Client, error) { return b.fake, nil },
		History:   b.hist, Translator: trans{}, DataDir: dir, MaxPhotoBytes: 100, Clock: b.clock,
		Pacer: whatsapp.NewPacer(pacing, b.clock), BackoffMin: time.Millisecond, UnpairedRetry: time.Millisecond,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnLoggedOut: func(context.Context) { once.Do(func() { close(b.loggedO) }) },
	})
	require.NoError(t, err)
	b.ch = ch
	h := bot.InboundHandlerFunc(func(ctx context.Context, in bot.Inbound) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.fail != nil {
			return b.fail
		}
		b.hist.Wrote(in.ChatID, b.clock.Now())
		b.got <- in
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ch.Run(ctx, h) }()
	t.Cleanup(func() { cancel(); <-done })
	require.Eventually(t, func() bool { return ch.State().Status == whatsapp.StatusConnected }, 5*time.Second, time.Millisecond)
	return b
}

var fast = whatsapp.Pacing{ChatGap: time.Millisecond, GlobalPerMinute: 1e6, ColdDailyCap: 1000}

func TestReceiveCommitsThenMarksRead(t *testing.T) {
	t.Parallel()
	b := setup(t, fast)
	b.mu.Lock()
	b.fail = errors.New("database down")
	b.mu.Unlock()
	require.False(t, b.fake.Emit(whatsapptest.Event(phone, "M1", whatsapptest.TextMessage("halo"))), "no ack before commit")
	require.Empty(t, b.fake.Reads())
	b.mu.Lock()
	b.fail = nil
	b.mu.Unlock()
	require.True(t, b.fake.Emit(whatsapptest.Event(phone, "M1", whatsapptest.TextMessage("halo"))))
	require.Equal(t, "halo", (<-b.got).Text)
	require.Equal(t, []string{"M1"}, b.fake.Reads())

	// A photo is downloaded; one above the limit is not, and arrives as limit+1 bytes.
	require.True(t, b.fake.Emit(whatsapptest.Event(phone, "M2", b.fake.ImageMessage("/foto", []byte("gambar"), "image/jpeg"))))
	in := <-b.got
	require.Equal(t, bot.KindPhoto, in.Kind)
	require.Equal(t, []byte("gambar"), in.Photo)
	big := b.fake.ImageMessage("/besar", make([]byte, 500), "image/jpeg")
	require.True(t, b.fake.Emit(whatsapptest.Event(phone, "M3", big)))
	require.Len(t, (<-b.got).Photo, 101)
}

func TestSendRendersNumberedListsAndTypedNumbers(t *testing.T) {
	t.Parallel()
	b := setup(t, whatsapp.Pacing{ChatGap: time.Second, GlobalPerMinute: 600, Typing: 2 * time.Second, ColdDailyCap: 10})
	ctx := t.Context()
	out := bot.Outbound{ChatID: chatJID, Text: "Apa yang ingin Anda lakukan?", Choices: []bot.Choice{{ID: "buat", Label: "Buat pengaduan"}, {ID: "cek", Label: "Cek status"}}}
	_, err := b.ch.Send(ctx, out)
	require.ErrorIs(t, err, bot.ErrRejected, "a number that never wrote is never messaged")
	require.Empty(t, b.fake.Sent())

	require.True(t, b.fake.Emit(whatsapptest.Event(phone, "M1", whatsapptest.TextMessage("/start"))))
	<-b.got
	id, err := b.ch.Send(ctx, out)
	require.NoError(t, err)
	sent := b.fake.SentTo(chatJID)
	require.Len(t, sent, 1)
	require.Equal(t, id, sent[0].ID)
	require.Equal(t, "Apa yang ingin Anda lakukan?\n\n1. Buat pengaduan\n2. Cek status\n\nwhatsapp.balas_angka:2", sent[0].Text())
	pres := b.fake.Presences()
	require.Equal(t, types.ChatPresenceComposing, pres[0].State)
	require.GreaterOrEqual(t, sent[0].At.Sub(pres[0].At), 2*time.Second, "typing shows before the reply")

	// A typed number becomes the choice; an out-of-range one stays text for the flow to answer.
	require.True(t, b.fake.Emit(whatsapptest.Event(phone, "M2", whatsapptest.TextMessage("2"))))
	in := <-b.got
	require.Equal(t, bot.KindChoice, in.Kind)
	require.Equal(t, "cek", in.ChoiceID)
	require.True(t, b.fake.Emit(whatsapptest.Event(phone, "M3", whatsapptest.TextMessage("7"))))
	require.Equal(t, bot.KindText, (<-b.got).Kind)

	// A photo with a map point for an officer: photo with caption, the point, then the list.
	_, err = b.ch.Send(ctx, bot.Outbound{ChatID: chatJID, Text: "Laporan baru", PhotoPath: "bukti.png", HasLocation: true, Lat: -3.4, Lng: 104.8,
		Choices: []bot.Choice{{ID: "aksi:terima:X", Label: "✅ Terima"}}})
	require.NoError(t, err)
	sent = b.fake.SentTo(chatJID)[1:]
	require.Len(t, sent, 3)
	require.NotNil(t, sent[0].Msg.GetImageMessage())
	require.InDelta(t, -3.4, sent[1].Msg.GetLocationMessage().GetDegreesLatitude(), 1e-9)
	require.Contains(t, sent[2].Text(), "1. ✅ Terima")

	// A location request is an instruction.
	_, err = b.ch.Send(ctx, bot.Outbound{ChatID: chatJID, Text: "Di mana lokasinya?", AskLocation: true})
	require.NoError(t, err)
	all := b.fake.SentTo(chatJID)
	require.Equal(t, "Di mana lokasinya?\n\nwhatsapp.kirim_lokasi", all[len(all)-1].Text())
}

func TestPacingAndDailyCap(t *testing.T) {
	t.Parallel()
	pacing := whatsapp.Pacing{ChatGap: 3 * time.Second, GlobalPerMinute: 30, Typing: time.Second, ColdDailyCap: 2}
	b := setup(t, pacing)
	ctx := t.Context()
	chats := []string{"6281111111111", "6282222222222", "6283333333333"}
	for _, p := range chats {
		require.True(t, b.fake.Emit(whatsapptest.Event(p, "W"+p, whatsapptest.TextMessage("halo"))))
		<-b.got
	}
	// The delivery worker waits on the pacer, then sends; here the chats take turns, as queued jobs would.
	pacer := b.ch.Pacer()
	for range 5 {
		for _, p := range chats {
			jid := p + "@s.whatsapp.net"
			require.NoError(t, pacer.Wait(ctx, whatsapp.Name, jid))
			_, err := b.ch.Send(ctx, bot.Outbound{ChatID: jid, Text: "pesan"})
			require.NoError(t, err)
		}
	}
	all := b.fake.Sent()
	require.Len(t, all, 15)
	last := map[string]time.Time{}
	for _, s := range all {
		if prev, ok := last[s.To]; ok {
			require.GreaterOrEqual(t, s.At.Sub(prev), pacing.ChatGap, "chat %s got messages too fast", s.To)
		}
		last[s.To] = s.At
	}
	first, end := all[0].At, all[len(all)-1].At
	require.GreaterOrEqual(t, end.Sub(first), time.Duration(len(all)-1)*2*time.Second-time.Second, "global rate of 30/min holds")

	// 25 hours later the citizen is quiet: two messages a day, then the rest wait.
	b.clock.Advance(25 * time.Hour)
	jid := chats[0] + "@s.whatsapp.net"
	for range 2 {
		_, err := b.ch.Send(ctx, bot.Outbound{ChatID: jid, Text: "pengingat"})
		require.NoError(t, err)
		b.hist.Delivered(jid, b.clock.Now())
	}
	_, err := b.ch.Send(ctx, bot.Outbound{ChatID: jid, Text: "pengingat ketiga"})
	var ra *bot.RetryAfterError
	require.ErrorAs(t, err, &ra)
	require.Positive(t, ra.After)
	// Once the citizen writes again the cap no longer applies.
	require.True(t, b.fake.Emit(whatsapptest.Event(chats[0], "W2", whatsapptest.TextMessage("masih ada?"))))
	<-b.got
	_, err = b.ch.Send(ctx, bot.Outbound{ChatID: jid, Text: "pengingat ketiga"})
	require.NoError(t, err)
}

func TestLoggedOutTellsAndWaits(t *testing.T) {
	t.Parallel()
	b := setup(t, fast)
	b.fake.Emit(&events.LoggedOut{Reason: events.ConnectFailureLoggedOut})
	select {
	case <-b.loggedO:
	case <-time.After(5 * time.Second):
		t.Fatal("OnLoggedOut was not called")
	}
	require.Eventually(t, func() bool { return b.ch.State().Status != whatsapp.StatusLoggedOut }, 5*time.Second, time.Millisecond,
		"the channel keeps running and reconnects once a device is paired again")
}
