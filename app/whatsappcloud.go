package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/suarawarga/suarawarga/bot/whatsappcloud"
)

// WhatsAppCloudConfig is the WhatsApp Cloud API channel's part of the environment.
type WhatsAppCloudConfig struct {
	Token         string // WHATSAPP_CLOUD_TOKEN: a system user access token; never logged
	PhoneNumberID string // WHATSAPP_CLOUD_PHONE_NUMBER_ID: the number's id in the Graph API
	AppSecret     string // WHATSAPP_CLOUD_APP_SECRET: checks each webhook call's signature
	VerifyToken   string // WHATSAPP_CLOUD_VERIFY_TOKEN: the webhook's verification token
	GraphURL      string // WHATSAPP_GRAPH_URL (default https://graph.facebook.com)
	APIVersion    string // WHATSAPP_GRAPH_VERSION (default v23.0)
	// Rate, PairGap and PairBurst pace sends (WHATSAPP_CLOUD_RATE, WHATSAPP_CLOUD_PAIR_GAP,
	// WHATSAPP_CLOUD_PAIR_BURST; defaults 80/s, 6s, 10).
	Rate      float64
	PairGap   time.Duration
	PairBurst int
	// TemplatesFile is a YAML (or JSON) file of template names, languages and
	// parameters by notice kind, over the defaults (WHATSAPP_CLOUD_TEMPLATES).
	TemplatesFile string
	// TemplateLanguage is the template language code (WHATSAPP_CLOUD_TEMPLATE_LANGUAGE, default id).
	TemplateLanguage string
	// PauseProbe is how long sending pauses after a token or account error
	// before one send tries again (default 5 minutes; no variable, for tests).
	PauseProbe time.Duration
}

// Enabled reports whether any of the channel's settings is set.
func (c WhatsAppCloudConfig) Enabled() bool {
	return c.Token != "" || c.PhoneNumberID != "" || c.AppSecret != "" || c.VerifyToken != ""
}

// whatsAppCloudFromEnv reads the WHATSAPP_CLOUD_* and WHATSAPP_GRAPH_* variables.
func whatsAppCloudFromEnv() (WhatsAppCloudConfig, error) {
	c := WhatsAppCloudConfig{
		Token:            os.Getenv("WHATSAPP_CLOUD_TOKEN"),
		PhoneNumberID:    strings.TrimSpace(os.Getenv("WHATSAPP_CLOUD_PHONE_NUMBER_ID")),
		AppSecret:        os.Getenv("WHATSAPP_CLOUD_APP_SECRET"),
		VerifyToken:      os.Getenv("WHATSAPP_CLOUD_VERIFY_TOKEN"),
		GraphURL:         strings.TrimRight(os.Getenv("WHATSAPP_GRAPH_URL"), "/"),
		APIVersion:       os.Getenv("WHATSAPP_GRAPH_VERSION"),
		TemplatesFile:    os.Getenv("WHATSAPP_CLOUD_TEMPLATES"),
		TemplateLanguage: os.Getenv("WHATSAPP_CLOUD_TEMPLATE_LANGUAGE"),
	}
	if v := os.Getenv("WHATSAPP_CLOUD_RATE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return c, fmt.Errorf("WHATSAPP_CLOUD_RATE=%q: want a positive number of messages per second", v)
		}
		c.Rate = f
	}
	if v := os.Getenv("WHATSAPP_CLOUD_PAIR_GAP"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("WHATSAPP_CLOUD_PAIR_GAP=%q: want a duration such as 6s", v)
		}
		c.PairGap = d
	}
	if v := os.Getenv("WHATSAPP_CLOUD_PAIR_BURST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("WHATSAPP_CLOUD_PAIR_BURST=%q: want a positive whole number", v)
		}
		c.PairBurst = n
	}
	if v := c.APIVersion; v != "" && !strings.HasPrefix(v, "v") {
		return c, fmt.Errorf("WHATSAPP_GRAPH_VERSION=%q: want a version such as v23.0", v)
	}
	return c, nil
}

// CloudTemplates are the default templates with the configuration's changes.
func (c WhatsAppCloudConfig) CloudTemplates() (*whatsappcloud.Templates, error) {
	tpls := whatsappcloud.DefaultTemplates()
	if c.TemplatesFile != "" {
		data, err := os.ReadFile(c.TemplatesFile)
		if err != nil {
			return nil, fmt.Errorf("WHATSAPP_CLOUD_TEMPLATES: %w", err)
		}
		var over whatsappcloud.Templates
		if err := yaml.Unmarshal(data, &over); err != nil {
			return nil, fmt.Errorf("WHATSAPP_CLOUD_TEMPLATES %s: %w", c.TemplatesFile, err)
		}
		tpls = tpls.Merge(&over)
	}
	if c.TemplateLanguage != "" {
		tpls.Language = c.TemplateLanguage
	}
	if err := tpls.Check(); err != nil {
		return nil, fmt.Errorf("WHATSAPP_CLOUD_TEMPLATES: %w", err)
	}
	return tpls, nil
}

// setupWhatsAppCloud adds the WhatsApp Cloud API channel when it is configured:
// the webhook is mounted at /whatsapp/webhook, statuses go to the delivery
// worker, and the admins hear on their other channel when sending stops.
func (a *App) setupWhatsAppCloud() error {
	wc := a.Config.WhatsAppCloud
	if !wc.Enabled() {
		return nil
	}
	var missing []string
	for name, v := range map[string]string{"WHATSAPP_CLOUD_TOKEN": wc.Token, "WHATSAPP_CLOUD_PHONE_NUMBER_ID": wc.PhoneNumberID,
		"WHATSAPP_CLOUD_APP_SECRET": wc.AppSecret, "WHATSAPP_CLOUD_VERIFY_TOKEN": wc.VerifyToken} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("whatsapp cloud api: set %s too (or none of the WHATSAPP_CLOUD_* settings)", strings.Join(missing, ", "))
	}
	tpls, err := wc.CloudTemplates()
	if err != nil {
		return err
	}
	ch, err := whatsappcloud.New(whatsappcloud.Options{
		Token: wc.Token, PhoneNumberID: wc.PhoneNumberID, AppSecret: wc.AppSecret, VerifyToken: wc.VerifyToken,
		GraphURL: wc.GraphURL, APIVersion: wc.APIVersion, Templates: tpls,
		History: &WhatsAppHistory{DB: a.DB, Channel: whatsappcloud.Name}, Statuses: a.Deliverer,
		Translator: a.Locales, DataDir: a.Config.DataDir, MaxPhotoBytes: a.Config.MaxPhotoSize,
		Limiter: whatsappcloud.NewLimiter(wc.Rate, wc.PairGap, wc.PairBurst), Now: a.now, Logger: a.Log, PauseProbe: wc.PauseProbe,
		OnAlert: func(ctx context.Context, al whatsappcloud.Alert) {
			data := map[string]any{"kode": al.Code}
			if err := a.tellAdmins(ctx, al.Key, data, whatsappcloud.Name); err != nil {
				a.Log.Error("could not tell the admins about the WhatsApp Cloud API", slog.Any("error", err))
			}
		},
	})
	if err != nil {
		return err
	}
	a.Channels[ch.Name()] = ch
	a.Cloud = ch
	if a.Handler.AwaitReplyChannels == nil {
		a.Handler.AwaitReplyChannels = map[string]bool{}
	}
	a.Handler.AwaitReplyChannels[ch.Name()] = true
	a.Web.Handle("GET "+whatsappcloud.WebhookPath, ch)
	a.Web.Handle("POST "+whatsappcloud.WebhookPath, ch)
	webhook := whatsappcloud.WebhookPath
	if a.Config.PublicURL != "" {
		webhook = a.Config.PublicURL + whatsappcloud.WebhookPath
	} else {
		a.Log.Warn("the WhatsApp Cloud API needs a public https address for its webhook: set PUBLIC_URL")
	}
	a.Log.Info("whatsapp cloud api channel enabled", slog.String("webhook", webhook), slog.String("graph_url", cmpStr(wc.GraphURL, whatsappcloud.DefaultGraphURL)),
		slog.Int("templates", len(tpls.Keys())))
	return nil
}

func cmpStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
