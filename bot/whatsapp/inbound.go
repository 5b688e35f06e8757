package whatsapp

import (
	"regexp"
	"strings"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/suarawarga/suarawarga/bot"
)

// maxInboundRunes bounds the text kept from one message.
const maxInboundRunes = 4096

// Translated is one WhatsApp message as the bot sees it.
type Translated struct {
	Inbound bot.Inbound
	// Media is the image to download when Inbound.Kind is KindPhoto, with its declared size.
	Media     whatsmeow.DownloadableMessage
	MediaSize uint64
}

// Translate turns a whatsmeow message event into an Inbound; ok is false for what
// the bot ignores: groups, status broadcasts, newsletters, its own messages,
// reactions and protocol messages other than edits. It does no I/O: a photo is
// returned as Media for the caller to download.
func Translate(evt *events.Message) (t Translated, ok bool) {
	if evt == nil || evt.Message == nil {
		return t, false
	}
	info := evt.Info
	chat := info.Chat
	if info.IsFromMe || info.IsGroup || chat.Server == types.GroupServer || chat.Server == types.BroadcastServer ||
		chat.Server == types.NewsletterServer || chat.IsBroadcastList() || info.IsIncomingBroadcast() || chat.IsEmpty() {
		return t, false
	}
	in := bot.Inbound{
		Channel: Name, ChatID: chat.ToNonAD().String(), MessageID: info.ID,
		Name: cleanText(info.PushName), // ReceivedAt stays for the handler's clock: a redelivery is late, not old.
	}
	m := evt.Message
	switch {
	case evt.IsEdit:
		in.Kind, in.Unsupported = bot.KindUnsupported, "edited"
	case m.GetConversation() != "":
		in.Kind, in.Text = bot.KindText, commandText(cleanText(m.GetConversation()))
	case m.GetExtendedTextMessage() != nil:
		et := m.GetExtendedTextMessage()
		in.Kind, in.Text = bot.KindText, commandText(cleanText(et.GetText()))
		in.ReplyTo = et.GetContextInfo().GetStanzaID()
	case m.GetLocationMessage() != nil:
		loc := m.GetLocationMessage()
		in.Kind, in.Lat, in.Lng = bot.KindLocation, loc.GetDegreesLatitude(), loc.GetDegreesLongitude()
		in.ReplyTo = loc.GetContextInfo().GetStanzaID()
	case m.GetLiveLocationMessage() != nil:
		loc := m.GetLiveLocationMessage()
		in.Kind, in.Lat, in.Lng = bot.KindLocation, loc.GetDegreesLatitude(), loc.GetDegreesLongitude()
	case m.GetImageMessage() != nil:
		img := m.GetImageMessage()
		in.Kind, in.PhotoMIME = bot.KindPhoto, mimeOr(img.GetMimetype(), "image/jpeg")
		in.ReplyTo = img.GetContextInfo().GetStanzaID()
		t.Media, t.MediaSize = img, img.GetFileLength()
	case m.GetDocumentMessage() != nil && strings.HasPrefix(m.GetDocumentMessage().GetMimetype(), "image/"):
		// A photo sent "as a document" keeps its quality; it is still a photo to the citizen.
		doc := m.GetDocumentMessage()
		in.Kind, in.PhotoMIME = bot.KindPhoto, doc.GetMimetype()
		t.Media, t.MediaSize = doc, doc.GetFileLength()
	case m.GetAudioMessage() != nil:
		in.Kind, in.Unsupported = bot.KindUnsupported, "voice"
	case m.GetStickerMessage() != nil || m.GetLottieStickerMessage() != nil:
		in.Kind, in.Unsupported = bot.KindUnsupported, "sticker"
	case m.GetVideoMessage() != nil || m.GetPtvMessage() != nil:
		in.Kind, in.Unsupported = bot.KindUnsupported, "video"
	case m.GetDocumentMessage() != nil:
		in.Kind, in.Unsupported = bot.KindUnsupported, "document"
	case m.GetContactMessage() != nil || m.GetContactsArrayMessage() != nil:
		in.Kind, in.Unsupported = bot.KindUnsupported, "contact"
	case m.GetReactionMessage() != nil || m.GetProtocolMessage() != nil || m.GetSenderKeyDistributionMessage() != nil ||
		m.GetPollUpdateMessage() != nil || m.GetEncReactionMessage() != nil || m.GetKeepInChatMessage() != nil:
		return t, false
	case m.GetPollCreationMessage() != nil || m.GetPollCreationMessageV3() != nil || m.GetEventMessage() != nil:
		in.Kind, in.Unsupported = bot.KindUnsupported, "other"
	default:
		// Anything newer that carries no text the bot understands.
		return t, false
	}
	t.Inbound = in
	return t, true
}

func mimeOr(m, def string) string {
	if m == "" {
		return def
	}
	return m
}

// hashReply is the WhatsApp-friendly officer command "#KODE balas teks".
var hashReply = regexp.MustCompile(`(?is)^#([A-Za-z]+-\d{4}-\d{4})\s+balas\s+(.+)$`)

// commandText turns "#OKI-2611-0001 balas teks" into "/balas OKI-2611-0001 teks":
// a slash is awkward on many phone keyboards, a hash is not.
func commandText(s string) string {
	if m := hashReply.FindStringSubmatch(strings.TrimSpace(s)); m != nil {
		return "/balas " + m[1] + " " + strings.TrimSpace(m[2])
	}
	return s
}

// cleanText is bot.CleanText bounded to what one message may carry.
func cleanText(s string) string { return bot.CleanText(s, maxInboundRunes) }
