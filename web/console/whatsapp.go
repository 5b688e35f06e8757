package console

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"rsc.io/qr"
)

// WhatsAppPage is what the console's WhatsApp page shows and does; the app implements it.
type WhatsAppPage interface {
	// WhatsAppStatus describes the WhatsApp channels as they are now.
	WhatsAppStatus(ctx context.Context) WhatsAppStatus
	// StartPairing begins linking a device for the linked-device channel: its
	// QR codes then show in WhatsAppStatus().Linked.Pairing.
	StartPairing(ctx context.Context) error
	// CancelPairing stops a pairing in progress.
	CancelPairing()
}

// WhatsAppStatus is the state of both WhatsApp channels.
type WhatsAppStatus struct {
	Cloud  *CloudStatus // nil when the Cloud API is not configured
	Linked LinkedStatus
}

// CloudStatus is the WhatsApp Cloud API channel's state.
type CloudStatus struct {
	PhoneNumberID, DisplayPhone, VerifiedName, QualityRating string
	CheckedAt, LastWebhook                                   time.Time
	LastError                                                string
	LastErrorAt                                              time.Time
	Paused                                                   bool
	PausedReason                                             string
	PausedSince                                              time.Time
	WebhookURL                                               string
	// From the database, over the last 24 hours.
	OpenWindows                               int64 // people who wrote: free-form messages may go to them
	Waiting                                   int64 // messages waiting for the person to write (no template)
	Sent24h, Delivered24h, Read24h, Failed24h int64
	// Since the bot started.
	Received, Sent, TemplatesSent, Held, Dropped int64
	Templates                                    []CloudTemplate
}

// CloudTemplate is one template the bot sends outside the 24-hour window.
type CloudTemplate struct {
	Kind, Name, Language string
	Params               []string
}

// LinkedStatus is the linked-device (whatsmeow) channel's state.
type LinkedStatus struct {
	Enabled   bool   // WHATSAPP_ENABLED
	State     string // the connection: connected, connecting, unpaired, logged_out, standby, starting
	Since     time.Time
	LastError string
	// Paired is known once the device store was read (always when Enabled).
	Paired  bool
	Known   bool
	Account string // the linked number
	Pairing *PairingStatus
}

// PairingStatus is a pairing in progress or just ended.
type PairingStatus struct {
	State   string // waiting (a QR code to scan), paired, timeout, failed
	Code    string // the QR code's text while waiting
	Error   string
	Started time.Time
}

type whatsappPage struct {
	Status  WhatsAppStatus
	QR      template.HTML // the pairing QR code as SVG
	Refresh bool
}

func (c *Console) registerWhatsApp(mux Handler) {
	mux.Handle("GET "+Prefix+"/whatsapp", c.page(adminOnly, c.whatsappPage))
	mux.Handle("POST "+Prefix+"/whatsapp/tautkan", c.page(adminOnly, c.whatsappPair))
	mux.Handle("POST "+Prefix+"/whatsapp/batal", c.page(adminOnly, c.whatsappCancel))
}

func (c *Console) whatsappPage(w http.ResponseWriter, r *http.Request, s *session) {
	var p whatsappPage
	if c.cfg.WhatsApp != nil {
		p.Status = c.cfg.WhatsApp.WhatsAppStatus(r.Context())
	}
	if pr := p.Status.Linked.Pairing; pr != nil && pr.State == "waiting" {
		p.Refresh = true
		svg, err := qrSVG(pr.Code)
		if err != nil {
			c.log.WarnContext(r.Context(), "whatsapp pairing code not drawn", slog.Any("error", err))
		}
		p.QR = svg
	}
	d := c.data(w, r, s, "whatsapp_konsol.judul", p)
	switch r.URL.Query().Get("ok") {
	case "tautkan":
		d.Flash = d.L.T("whatsapp_konsol.mulai")
	case "batal":
		d.Flash = d.L.T("whatsapp_konsol.dibatalkan")
	}
	c.render(w, r, http.StatusOK, "whatsapp", d)
}

func (c *Console) whatsappPair(w http.ResponseWriter, r *http.Request, s *session) {
	if c.cfg.WhatsApp == nil {
		c.fail(w, r, s, http.StatusNotFound, "whatsapp_konsol.tidak_ada", nil)
		return
	}
	if err := c.cfg.WhatsApp.StartPairing(r.Context()); err != nil {
		c.log.WarnContext(r.Context(), "whatsapp pairing could not start", slog.Any("error", err))
		c.fail(w, r, s, http.StatusServiceUnavailable, "whatsapp_konsol.gagal_mulai", map[string]any{"galat": err.Error()})
		return
	}
	if err := Audit(r.Context(), c.cfg.DB.WithContext(r.Context()), &s.User, c.clientIP(r), "whatsapp.tautkan", "whatsapp", "", c.now()); err != nil {
		c.log.ErrorContext(r.Context(), "audit whatsapp pairing", slog.Any("error", err))
	}
	http.Redirect(w, r, Prefix+"/whatsapp?ok=tautkan", http.StatusSeeOther)
}

func (c *Console) whatsappCancel(w http.ResponseWriter, r *http.Request, s *session) {
	if c.cfg.WhatsApp != nil {
		c.cfg.WhatsApp.CancelPairing()
	}
	http.Redirect(w, r, Prefix+"/whatsapp?ok=batal", http.StatusSeeOther)
}

// qrSVG draws a QR code as an inline SVG with a quiet zone, scannable from a screen.
func qrSVG(text string) (template.HTML, error) {
	if text == "" {
		return "", nil
	}
	code, err := qr.Encode(text, qr.L)
	if err != nil {
		return "", err
	}
	const quiet = 4
	n := code.Size + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="264" height="264" shape-rendering="crispEdges" role="img" id="qr">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := range code.Size {
		for x := range code.Size {
			if code.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil // built here from numbers only
}
