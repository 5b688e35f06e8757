package telegram

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/telegram/telegramtest"
)

// FuzzUpdate feeds the update decoder (the same parse and translation getUpdates
// and the webhook use) arbitrary bytes against the fake Bot API. It must never
// panic; what it hands to the bot must be a well-formed Inbound of a private
// chat, its text valid UTF-8 within Telegram's bound; and the calls it makes to
// the platform (answering a button, editing a keyboard, the group notice) must
// break none of the fake's rules.
func FuzzUpdate(f *testing.F) {
	for _, s := range []string{
		`{"update_id":1,"message":{"message_id":5,"date":1700000000,"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"Siti","language_code":"id"},"text":"Jalan berlubang di depan pasar"}}`,
		`{"update_id":2,"message":{"message_id":6,"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"A"},"text":"/status@SuaraWargaTestBot OKI-2611-0001"}}`,
		`{"update_id":3,"message":{"message_id":7,"chat":{"id":42,"type":"private"},"location":{"latitude":-3.39,"longitude":104.83}}}`,
		`{"update_id":4,"message":{"message_id":8,"chat":{"id":42,"type":"private"},"photo":[{"file_id":"a","width":90,"height":90,"file_size":100},{"file_id":"b","width":800,"height":600,"file_size":99999999}]}}`,
		`{"update_id":5,"message":{"message_id":9,"chat":{"id":42,"type":"private"},"document":{"file_id":"d","mime_type":"image/png","file_size":10}}}`,
		`{"update_id":6,"message":{"message_id":10,"chat":{"id":42,"type":"private"},"sticker":{"file_id":"s"}}}`,
		`{"update_id":7,"message":{"message_id":11,"chat":{"id":-100,"type":"supergroup"},"from":{"id":9},"text":"halo"}}`,
		`{"update_id":8,"edited_message":{"message_id":12,"chat":{"id":42,"type":"private"},"text":"ubah"}}`,
		`{"update_id":9,"callback_query":{"id":"q1","from":{"id":42,"language_code":"en"},"data":"pengaduan","message":{"message_id":3,"chat":{"id":42,"type":"private"},"reply_markup":{"inline_keyboard":[[{"text":"Pengaduan","callback_data":"pengaduan"}]]}}}}`,
		`{"update_id":10,"callback_query":{"id":"q2","from":{"id":42},"data":"-","message":{"message_id":3,"chat":{"id":42,"type":"private"}}}}`,
		`{"update_id":11,"message":{"message_id":13,"chat":{"id":42,"type":"private"},"from":{"id":42,"is_bot":true},"text":"x"}}`,
		`{"update_id":12,"message":{"message_id":14,"chat":{"id":42,"type":"private"},"reply_to_message":{"message_id":2,"from":{"id":1,"is_bot":true}},"text":"ya"}}`,
		`{"update_id":13,"message":{"message_id":15,"chat":{"id":42,"type":"private"},"voice":{"file_id":"v"}}}`,
		`{"update_id":14,"message":{"chat":{"id":42,"type":"private"},"text":"\ud800 \u0000 \u202e"}}`,
		`{"update_id":"x"}`,
		`{"message":{}}`,
		`[]`,
		`null`,
		``,
	} {
		f.Add([]byte(s))
	}
	fake := telegramtest.New(f, telegramtest.Options{Limits: fastLimits})
	ch, err := New(context.Background(), Options{Token: fake.Token, APIURL: fake.URL, DataDir: f.TempDir(), MaxPhotoBytes: 1000,
		Limiter: NewLimiter(fastLimits.GlobalPerSecond, fastLimits.ChatPerSecond, fastLimits.ChatBurst),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)), RequestTimeout: 5 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	if err := ch.Connect(context.Background()); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rec := &recorder{}
		ru := parseUpdate(raw)
		if err := ch.handleRaw(context.Background(), rec, ru); err != nil {
			t.Fatalf("update %q: %v", raw, err)
		}
		for _, in := range rec.all() {
			if in.Channel != Name || in.Kind == "" {
				t.Fatalf("inbound without channel or kind: %+v", in)
			}
			if _, err := strconv.ParseInt(in.ChatID, 10, 64); err != nil {
				t.Fatalf("chat id %q is not a Telegram chat id", in.ChatID)
			}
			if in.MessageID != strconv.Itoa(ru.id) {
				t.Fatalf("message id %q, update %d", in.MessageID, ru.id)
			}
			for _, s := range []string{in.Text, in.Name} {
				if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxInboundRunes || strings.ContainsRune(s, 0) {
					t.Fatalf("text not cleaned: %q", s)
				}
			}
			if in.Kind == bot.KindUnsupported && in.Unsupported == "" {
				t.Fatalf("unsupported without a reason: %+v", in)
			}
		}
		if v := fake.Violations(); len(v) > 0 {
			t.Fatalf("update %q broke the platform's rules: %v", raw, v)
		}
	})
}
