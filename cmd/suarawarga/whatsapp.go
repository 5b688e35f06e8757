package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/mdp/qrterminal/v3"
	"go.mau.fi/whatsmeow"

	"github.com/suarawarga/suarawarga/app"
	"github.com/suarawarga/suarawarga/locales"
)

const whatsappUsage = `Usage:
  suarawarga whatsapp pair                  link the service number by scanning a QR code shown here
  suarawarga whatsapp pair --phone 62812... link it by typing a pairing code on the phone instead
`

// whatsappCmd runs "suarawarga whatsapp pair": it links the bot's WhatsApp number
// and stores the device session in the bot's own database.
func whatsappCmd(ctx context.Context, cfg app.Config, args []string, log *slog.Logger, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "pair" {
		fmt.Fprint(stderr, whatsappUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("whatsapp pair", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, whatsappUsage) }
	phone := fs.String("phone", "", "the service number in international form, e.g. 6281234567890")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		fmt.Fprint(stderr, whatsappUsage)
		return errUsage
	}
	tr, err := locales.Load()
	if err != nil {
		return err
	}
	h, err := app.OpenDB(ctx, cfg.DatabaseURL, false)
	if err != nil {
		return err
	}
	defer h.Close()
	container, err := app.OpenWhatsAppStore(ctx, h.DB, log)
	if err != nil {
		return err
	}
	dev, err := container.GetFirstDevice(ctx)
	if err != nil {
		return fmt.Errorf("load whatsapp device: %w", err)
	}
	if dev.ID != nil {
		fmt.Fprintln(stdout, tr.T("id", "whatsapp.pair_sudah", map[string]any{"jid": dev.ID.User}))
		return nil
	}
	cli := whatsmeow.NewClient(dev, nil)
	qr, err := cli.GetQRChannel(ctx)
	if err != nil {
		return fmt.Errorf("whatsapp pairing: %w", err)
	}
	if err := cli.ConnectContext(ctx); err != nil {
		return fmt.Errorf("whatsapp connect: %w", err)
	}
	defer cli.Disconnect()
	number := strings.TrimPrefix(strings.TrimSpace(*phone), "+")
	codeShown := false
	for item := range qr {
		switch {
		case item.Event == whatsmeow.QRChannelEventCode && number == "":
			fmt.Fprintln(stdout, tr.T("id", "whatsapp.pair_qr", nil))
			qrterminal.GenerateHalfBlock(item.Code, qrterminal.L, stdout)
		case item.Event == whatsmeow.QRChannelEventCode && !codeShown:
			code, err := cli.PairPhone(ctx, number, true, whatsmeow.PairClientChrome, "Chrome (Linux)")
			if err != nil {
				return fmt.Errorf("whatsapp pairing code: %w", err)
			}
			codeShown = true
			fmt.Fprintln(stdout, tr.T("id", "whatsapp.pair_kode", map[string]any{"nomor": number, "kode": code}))
		case item == whatsmeow.QRChannelSuccess:
			fmt.Fprintln(stdout, tr.T("id", "whatsapp.pair_berhasil", nil))
			return nil
		case item.Event == whatsmeow.QRChannelEventError:
			return fmt.Errorf("whatsapp pairing failed: %w", item.Error)
		case item.Event != whatsmeow.QRChannelEventCode:
			return fmt.Errorf("whatsapp pairing ended: %s", item.Event)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.New("whatsapp pairing ended without linking the number")
}
