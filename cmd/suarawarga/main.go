// Command suarawarga runs the Suara Warga complaint bot and its admin tasks.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // the runtime image has no zoneinfo

	"github.com/suarawarga/suarawarga/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, errUsage) {
		os.Exit(2)
	}
	var ec exitCode
	if errors.As(err, &ec) {
		os.Exit(int(ec))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "suarawarga:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// exitCode ends the program with a status after its output was already written.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const usage = `Suara Warga — layanan pengaduan warga.

Usage:
  suarawarga [serve]              run the bot (web chat on HTTP_ADDR, Telegram when TELEGRAM_BOT_TOKEN is set,
                                  the WhatsApp Cloud API when WHATSAPP_CLOUD_TOKEN and its three companions are set)
  suarawarga migrate              apply database migrations and exit
  suarawarga seed FILE            load a regency data file (OPDs, categories, regions, holidays)
  suarawarga flows check FILE...  validate flow files; exit status 1 when any has errors
  suarawarga flows import FILE    publish a flow file as the flow's newest revision
  suarawarga flows export ID      print the newest revision of a flow
  suarawarga officer invite ...   invite an officer: --agency CODE --name NAME [--kepala|--admin] [--ttl 72h]
  suarawarga whatsapp pair        link the WhatsApp number: scan the QR shown, or --phone 62... for a pairing code
  suarawarga admin create ...     add a web console account: --email EMAIL [--name NAME] [--role admin|pimpinan|petugas --agency CODE]
  suarawarga photos clean         strip the metadata (EXIF, GPS, XMP, comments) of photos stored by older versions [--dry-run]
  suarawarga audit access ...    what a console account could see and what it opened: --officer EMAIL [--since YYYY-MM-DD]
  suarawarga retention           anonymize complaints closed more than RETENTION_YEARS (default 2) ago [--dry-run]
  suarawarga understand FILE      read a corpus of typed replies through the default flows and print "understood N of M"
                                  per kind (flows/testdata/understand/corpus.txt; format in flows/flowtest/corpus.go) [--failures N]

Environment: DATABASE_URL (default sqlite:suarawarga.db), HTTP_ADDR (default :8080), PUBLIC_URL, DATA_DIR (default data),
TZ (default Asia/Jakarta), LOG_LEVEL, MAX_PHOTO_MB, RETENTION_YEARS, TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL, TELEGRAM_WEBHOOK_SECRET,
WHATSAPP_ENABLED, WHATSAPP_CHAT_GAP, WHATSAPP_PER_MINUTE, WHATSAPP_TYPING, WHATSAPP_COLD_DAILY_CAP,
WHATSAPP_CLOUD_TOKEN, WHATSAPP_CLOUD_PHONE_NUMBER_ID, WHATSAPP_CLOUD_APP_SECRET, WHATSAPP_CLOUD_VERIFY_TOKEN, WHATSAPP_GRAPH_URL,
WHATSAPP_GRAPH_VERSION, WHATSAPP_CLOUD_RATE, WHATSAPP_CLOUD_PAIR_GAP, WHATSAPP_CLOUD_PAIR_BURST, WHATSAPP_CLOUD_TEMPLATES,
WHATSAPP_CLOUD_TEMPLATE_LANGUAGE, TRUSTED_PROXIES, METRICS_TOKEN,
GOGC and GOMEMLIMIT (defaults 400 and 150MiB).
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	cfg, err := app.ConfigFromEnv()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	// The database layer logs failed and slow statements (never their parameters) to
	// the default logger: the same handler and LOG_LEVEL.
	slog.SetDefault(log)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log, stdout)
	case "migrate":
		return migrate(ctx, cfg, stdout)
	case "seed":
		if len(args) != 1 {
			fmt.Fprint(stderr, usage)
			return errUsage
		}
		return seed(ctx, cfg, args[0], stdout)
	case "flows":
		return flowsCmd(ctx, cfg, args, stdout, stderr)
	case "officer":
		return officerCmd(ctx, cfg, args, stdout, stderr)
	case "whatsapp":
		return whatsappCmd(ctx, cfg, args, log, stdout, stderr)
	case "admin":
		return adminCmd(ctx, cfg, args, os.Stdin, stdout, stderr)
	case "photos":
		return photosCmd(ctx, cfg, args, stdout, stderr)
	case "audit":
		return auditCmd(ctx, cfg, args, stdout, stderr)
	case "retention":
		return retentionCmd(ctx, cfg, args, time.Now, stdout, stderr)
	case "understand":
		return understandCmd(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
	return errUsage
}
