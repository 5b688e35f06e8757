package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot/whatsapp"
	"github.com/suarawarga/suarawarga/bot/whatsappcloud"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/web/console"
)

// PairClient is what linking a device needs of a whatsmeow client; tests pass a fake.
type PairClient interface {
	GetQRChannel(ctx context.Context) (<-chan whatsmeow.QRChannelItem, error)
	ConnectContext(ctx context.Context) error
	Disconnect()
}

// errAlreadyPaired is NewPairClient's answer when a device is linked already.
type errAlreadyPaired struct{ account string }

func (e errAlreadyPaired) Error() string { return "a device is linked already (" + e.account + ")" }

// pairTimeout bounds one pairing: WhatsApp offers a handful of QR codes, then gives up.
const pairTimeout = 3 * time.Minute

// pairing links the linked-device channel's number from the console.
type pairing struct {
	a *App

	mu      sync.Mutex
	state   *console.PairingStatus
	cancel  context.CancelFunc
	known   bool // the device store was read
	paired  bool
	account string
}

// whatsappPage feeds the console's WhatsApp page from the running channels and the database.
type whatsappPage struct {
	a *App
	p *pairing
}

var _ console.WhatsAppPage = whatsappPage{}

// WhatsAppStatus describes both WhatsApp channels.
func (w whatsappPage) WhatsAppStatus(ctx context.Context) console.WhatsAppStatus {
	a := w.a
	var out console.WhatsAppStatus
	if a.Cloud != nil {
		out.Cloud = a.cloudStatus(ctx)
	}
	ln := &out.Linked
	if ch := a.WhatsApp; ch != nil {
		st := ch.State()
		ln.Enabled, ln.State, ln.Since, ln.LastError = true, string(st.Status), st.Since, st.LastError
		switch st.Status {
		case whatsapp.StatusConnected, whatsapp.StatusConnecting, whatsapp.StatusStandby:
			ln.Known, ln.Paired = true, true
		case whatsapp.StatusUnpaired, whatsapp.StatusLoggedOut:
			ln.Known = true
		}
	}
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	if w.p.known {
		ln.Known = true
		ln.Paired = ln.Paired || w.p.paired
		ln.Account = w.p.account
	}
	if w.p.state != nil {
		cp := *w.p.state
		ln.Pairing = &cp
	}
	return out
}

// cloudStatus is the Cloud API channel's state with the last day's figures.
func (a *App) cloudStatus(ctx context.Context) *console.CloudStatus {
	st := a.Cloud.State()
	c := &console.CloudStatus{
		PhoneNumberID: st.PhoneNumberID, DisplayPhone: st.DisplayPhone, VerifiedName: st.VerifiedName, QualityRating: st.QualityRating,
		CheckedAt: st.CheckedAt, LastWebhook: st.LastWebhook, LastError: st.LastError, LastErrorAt: st.LastErrorAt,
		Paused: st.Paused, PausedReason: st.PausedReason, PausedSince: st.PausedSince,
		WebhookURL: a.Config.PublicURL + whatsappcloud.WebhookPath,
		Received:   st.Received, Sent: st.Sent, TemplatesSent: st.TemplatesSent, Held: st.Held, Dropped: st.Dropped,
	}
	tpls := a.Cloud.Templates()
	for _, k := range tpls.Keys() {
		tpl, _ := tpls.For(k)
		c.Templates = append(c.Templates, console.CloudTemplate{Kind: k, Name: tpl.Name, Language: tpl.Language, Params: tpl.Params})
	}
	since := a.now().Add(-24 * time.Hour).UTC()
	db := a.DB.WithContext(ctx)
	msgs := func() *gorm.DB { return db.Model(&models.Message{}).Where("channel = ?", whatsappcloud.Name) }
	out := func() *gorm.DB { return msgs().Where("direction = ?", models.DirectionOut) }
	counts := []struct {
		dst *int64
		q   *gorm.DB
	}{
		{&c.Waiting, out().Where("status = ?", models.MessageWaiting)},
		{&c.Sent24h, out().Where("sent_at >= ?", since)},
		{&c.Delivered24h, out().Where("delivered_at >= ?", since)},
		{&c.Read24h, out().Where("read_at >= ?", since)},
		{&c.Failed24h, out().Where("status = ? AND created_at >= ?", models.MessageFailed, since)},
	}
	for _, q := range counts {
		if err := q.q.Count(q.dst).Error; err != nil {
			a.Log.Warn("whatsapp page: a count failed", slog.Any("error", err))
		}
	}
	if err := msgs().Where("direction = ? AND created_at >= ?", models.DirectionIn, since).Distinct("chat_id").Count(&c.OpenWindows).Error; err != nil {
		a.Log.Warn("whatsapp page: open windows not counted", slog.Any("error", err))
	}
	return c
}

// StartPairing begins linking the linked-device channel's number; its QR codes
// show on the page until the phone scans one, the codes run out, or it is cancelled.
func (w whatsappPage) StartPairing(ctx context.Context) error {
	p := w.p
	p.mu.Lock()
	if p.state != nil && p.state.State == "waiting" {
		p.mu.Unlock()
		return nil
	}
	p.mu.Unlock()
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pairTimeout)
	cli, err := w.newPairClient(pctx)
	var already errAlreadyPaired
	if errors.As(err, &already) {
		cancel()
		p.mu.Lock()
		p.known, p.paired, p.account = true, true, already.account
		p.state = &console.PairingStatus{State: "paired", Started: w.a.now()}
		p.mu.Unlock()
		return nil
	}
	if err != nil {
		cancel()
		return err
	}
	qr, err := cli.GetQRChannel(pctx)
	if err != nil {
		cancel()
		return fmt.Errorf("whatsapp pairing: %w", err)
	}
	if err := cli.ConnectContext(pctx); err != nil {
		cancel()
		return fmt.Errorf("whatsapp connect: %w", err)
	}
	p.mu.Lock()
	p.known = true
	p.state = &console.PairingStatus{State: "waiting", Started: w.a.now()}
	p.cancel = cancel
	p.mu.Unlock()
	w.a.Log.Info("whatsapp pairing started from the console")
	go w.watch(pctx, cancel, cli, qr)
	return nil
}

// watch follows the QR channel until the pairing ends.
func (w whatsappPage) watch(ctx context.Context, cancel context.CancelFunc, cli PairClient, qr <-chan whatsmeow.QRChannelItem) {
	p := w.p
	defer cancel()
	defer cli.Disconnect()
	set := func(f func(st *console.PairingStatus)) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.state != nil {
			f(p.state)
		}
	}
	for {
		select {
		case <-ctx.Done():
			set(func(st *console.PairingStatus) {
				if st.State == "waiting" {
					st.State, st.Code = "timeout", ""
				}
			})
			return
		case item, ok := <-qr:
			switch {
			case !ok:
				set(func(st *console.PairingStatus) {
					if st.State == "waiting" {
						st.State, st.Code = "timeout", ""
					}
				})
				return
			case item.Event == whatsmeow.QRChannelEventCode:
				set(func(st *console.PairingStatus) { st.Code = item.Code })
			case item == whatsmeow.QRChannelSuccess:
				account := ""
				if a, ok := cli.(interface{ Account() string }); ok {
					account = a.Account()
				}
				p.mu.Lock()
				p.paired, p.account = true, account
				if p.state != nil {
					p.state.State, p.state.Code = "paired", ""
				}
				p.mu.Unlock()
				w.a.Log.Info("whatsapp number linked from the console")
				return
			case item.Event == whatsmeow.QRChannelEventError:
				set(func(st *console.PairingStatus) { st.State, st.Code, st.Error = "failed", "", fmt.Sprint(item.Error) })
				return
			case item == whatsmeow.QRChannelTimeout:
				set(func(st *console.PairingStatus) { st.State, st.Code = "timeout", "" })
				return
			default:
				set(func(st *console.PairingStatus) { st.State, st.Code, st.Error = "failed", "", item.Event })
				return
			}
		}
	}
}

// CancelPairing stops a pairing in progress.
func (w whatsappPage) CancelPairing() {
	p := w.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
	p.state = nil
}

// newPairClient is the app's NewPairClient, or a whatsmeow client on the
// device store in the bot's own database.
func (w whatsappPage) newPairClient(ctx context.Context) (PairClient, error) {
	if w.a.NewPairClient != nil {
		return w.a.NewPairClient(ctx)
	}
	container, err := OpenWhatsAppStore(ctx, w.a.DB, w.a.Log)
	if err != nil {
		return nil, err
	}
	dev, err := container.GetFirstDevice(ctx)
	if err != nil {
		return nil, fmt.Errorf("load whatsapp device: %w", err)
	}
	if dev.ID != nil {
		return nil, errAlreadyPaired{account: dev.ID.User}
	}
	return realPairClient{whatsmeow.NewClient(dev, whatsmeowLogger(w.a.Log))}, nil
}

// realPairClient is a whatsmeow client that says which number it linked.
type realPairClient struct{ *whatsmeow.Client }

// Account is the linked number, once paired.
func (c realPairClient) Account() string {
	if c.Store != nil && c.Store.ID != nil {
		return c.Store.ID.User
	}
	return ""
}
