package whatsapp_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/whatsapp"
	"github.com/suarawarga/suarawarga/bot/whatsapp/whatsapptest"
)

// FuzzTranslate feeds the whatsmeow event translation arbitrary messages: the
// fuzzer's bytes are the message's protobuf (as it comes off the wire,
// unwrapped as whatsmeow unwraps it), sent from an arbitrary address. It must
// never panic, and what it hands to the bot must be a well-formed Inbound of a
// person's chat with cleaned text.
func FuzzTranslate(f *testing.F) {
	ctx := &waE2E.ContextInfo{StanzaID: proto.String("3EB0BOT000007")}
	for _, m := range []*waE2E.Message{
		whatsapptest.TextMessage("Jalan berlubang di depan pasar"),
		whatsapptest.TextMessage("#OKI-2611-0001 balas sudah diperbaiki"),
		whatsapptest.LocationMessage(-3.39, 104.83),
		{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("lihat https://x.id"), ContextInfo: ctx}},
		{ImageMessage: &waE2E.ImageMessage{DirectPath: proto.String("/p"), Mimetype: proto.String("image/jpeg"), FileLength: proto.Uint64(10), ContextInfo: ctx}},
		{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("image/png")}},
		{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("application/pdf")}},
		{AudioMessage: &waE2E.AudioMessage{}},
		{StickerMessage: &waE2E.StickerMessage{}},
		{ReactionMessage: &waE2E.ReactionMessage{Text: proto.String("👍")}},
		{ProtocolMessage: &waE2E.ProtocolMessage{}},
		{EphemeralMessage: &waE2E.FutureProofMessage{Message: whatsapptest.TextMessage("pesan sementara")}},
		{ViewOnceMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{ImageMessage: &waE2E.ImageMessage{}}}},
		{DeviceSentMessage: &waE2E.DeviceSentMessage{DestinationJID: proto.String("62811@s.whatsapp.net"), Message: whatsapptest.TextMessage("x")}},
		{},
	} {
		raw, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, "6281234567890@s.whatsapp.net", "Warga", false)
	}
	raw, _ := proto.Marshal(whatsapptest.TextMessage("halo"))
	for _, chat := range []string{"1203630@g.us", "status@broadcast", "1200@newsletter", "123@lid", "62812:3@s.whatsapp.net", "", "@", "x@y@z"} {
		f.Add(raw, chat, "\x00\xff", true)
	}
	f.Fuzz(func(t *testing.T, raw []byte, chat, pushName string, edit bool) {
		var m waE2E.Message
		if err := proto.Unmarshal(raw, &m); err != nil {
			return // whatsmeow drops what it cannot decode before any event
		}
		jid, err := types.ParseJID(chat)
		if err != nil {
			return
		}
		evt := &events.Message{
			Info:       types.MessageInfo{MessageSource: types.MessageSource{Chat: jid, Sender: jid, IsGroup: jid.Server == types.GroupServer}, ID: "MSG1", PushName: pushName},
			RawMessage: &m,
			IsEdit:     edit,
		}
		evt.UnwrapRaw()
		tr, ok := whatsapp.Translate(evt)
		if !ok {
			return
		}
		in := tr.Inbound
		if in.Channel != whatsapp.Name || in.Kind == "" || in.ChatID == "" || in.MessageID != "MSG1" {
			t.Fatalf("malformed inbound: %+v", in)
		}
		if jid.Server == types.GroupServer || jid.Server == types.BroadcastServer || jid.Server == types.NewsletterServer {
			t.Fatalf("a message of %s handed to the bot", chat)
		}
		for _, s := range []string{in.Text, in.Name} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || utf8.RuneCountInString(s) > 4096 {
				t.Fatalf("text not cleaned: %q", s)
			}
		}
		switch in.Kind {
		case bot.KindPhoto:
			if tr.Media == nil || in.PhotoMIME == "" {
				t.Fatalf("photo without media: %+v", tr)
			}
		case bot.KindUnsupported:
			if in.Unsupported == "" {
				t.Fatalf("unsupported without a reason: %+v", in)
			}
		}
	})
}
