package app

import (
	"github.com/suarawarga/suarawarga/web/console"
)

// setupConsole mounts the web console (/konsol/...) and the Prometheus metrics (/metrics)
// on the web server.
func (a *App) setupConsole(opt Options) error {
	c, err := console.New(console.Config{
		DB:             a.DB,
		Complaints:     a.Complaints,
		Locales:        a.Locales,
		DataDir:        a.Config.DataDir,
		RetentionYears: a.Config.Retention(),
		PublicURL:      a.Config.PublicURL,
		MaxPhotoBytes:  a.Config.MaxPhotoSize,
		Now:            opt.Now,
		Loc:            a.Config.Location(),
		Log:            a.Log,
		TrustedProxies: a.Config.TrustedProxies,
		WhatsApp:       whatsappPage{a: a, p: &pairing{a: a}},
	})
	if err != nil {
		return err
	}
	c.Register(a.Web)
	a.Web.Handle("GET /metrics", console.MetricsToken(a.Config.MetricsToken, console.Metrics(a.DB, opt.Now, a.Log)))
	return nil
}
