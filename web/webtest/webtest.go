// Package webtest drives the web chat page in a real headless Chromium for tests:
// start a browser, open the chat, press buttons by their visible label, type and
// send text, upload a photo, fake the phone's location, and wait for the bot.
//
// A test calls Browser(t) and then either the context functions (ClickButton,
// SendText, WaitBotText...) or the Page wrapper, whose methods fail the test.
// Without Chromium the test is skipped, unless CI=true: then it fails.
package webtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// DefaultChromium is where Debian's chromium package puts the browser.
const DefaultChromium = "/usr/bin/chromium"

// DefaultWait bounds each helper that waits for the page, unless ctx has an earlier deadline.
const DefaultWait = 15 * time.Second

// CSS selectors of the chat page (web/templates/chat.html and web/static/chat.js).
const (
	SelText     = "#text"           // the message box
	SelSend     = "#send"           // the send button
	SelPhoto    = "#photo"          // the hidden file input behind the photo button
	SelBotMsg   = ".msg.bot"        // a bot bubble
	SelUserMsg  = ".msg.user"       // a citizen bubble (sent or pending)
	SelNote     = ".note"           // a local hint, e.g. the location fallback
	SelStatus   = "#status"         // the notice line above the text box
	SelChoiceEl = ".choices button" // a choice button under a bot message
)

// ChromiumPath returns the browser to drive: $CHROMIUM_PATH when set (or "" when that file
// does not exist), else /usr/bin/chromium, else chromium/chromium-browser on PATH; "" when
// there is none.
func ChromiumPath() string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return ""
		}
		return p
	}
	if _, err := os.Stat(DefaultChromium); err == nil {
		return DefaultChromium
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser starts a fresh headless Chromium (its own profile in t.TempDir()) and returns a
// chromedp context on its first tab. The browser closes when the test ends; uncaught
// page exceptions are logged and fail the test. Without Chromium it skips the test,
// or fails it when CI=true.
func Browser(t testing.TB) context.Context {
	t.Helper()
	path := ChromiumPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium not found (%s or $CHROMIUM_PATH; CI=true requires it): apt-get install -y chromium", DefaultChromium)
		}
		t.Skipf("chromium not found (%s or $CHROMIUM_PATH); install it with apt-get install -y chromium to run the browser tests", DefaultChromium)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Containers often have a tiny /dev/shm; Chromium crashes when it fills.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(412, 860), // a common Android phone
		chromedp.UserDataDir(t.TempDir()),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	// Start the browser with a context that has no deadline: the first Run binds its life.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start chromium %s: %v", path, err)
	}
	var (
		mu         sync.Mutex
		exceptions []string
	)
	consoleCtx, stopConsole := context.WithCancel(ctx)
	messages := chromedp.Console(consoleCtx)
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			t.Logf("browser console %s: %s", m.Type, m.Text)
			if m.IsException() {
				mu.Lock()
				exceptions = append(exceptions, m.Text)
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		stopConsole()
		<-consoleDone
		cancelCtx()
		cancelAlloc()
		mu.Lock()
		defer mu.Unlock()
		for _, e := range exceptions {
			t.Errorf("uncaught exception in the page: %s", e)
		}
	})
	return ctx
}

// waitCtx bounds one helper by DefaultWait.
func waitCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, DefaultWait)
}

// OpenChat loads the chat page at url and waits until its text box is ready.
func OpenChat(ctx context.Context, url string) error {
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("open %s: %w", url, err)
	}
	wctx, cancel := waitCtx(ctx)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(SelText))); err != nil {
		return fmt.Errorf("wait for the chat page: %w", err)
	}
	return nil
}

// findButtonJS marks the newest enabled, visible button whose trimmed text is the label,
// looking at the choice buttons first so a choice named like the send button wins.
const findButtonJS = `function(label) {
	document.querySelectorAll('[data-webtest]').forEach(function (e) { e.removeAttribute('data-webtest'); });
	var sets = [document.querySelectorAll('.choices button'), document.querySelectorAll('button')];
	for (var k = 0; k < sets.length; k++) {
		for (var i = sets[k].length - 1; i >= 0; i--) {
			var b = sets[k][i];
			if (!b.disabled && b.offsetParent !== null && b.textContent.trim() === label) {
				b.setAttribute('data-webtest', 'target');
				b.scrollIntoView({block: 'center'});
				return true;
			}
		}
	}
	return false;
}`

// ClickButton waits for an enabled button with this visible label (the newest one when
// several match) and clicks it with the mouse.
func ClickButton(ctx context.Context, label string) error {
	wctx, cancel := waitCtx(ctx)
	defer cancel()
	if _, err := chromedp.Run(wctx, chromedp.PollFunction[bool](findButtonJS,
		chromedp.WithPollingArgs(label), chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(0))); err != nil {
		labels, _ := Buttons(ctx)
		return fmt.Errorf("no enabled button %q (buttons: %q): %w", label, labels, err)
	}
	if err := chromedp.Do(wctx, chromedp.Click(chromedp.CSS(`button[data-webtest="target"]`))); err != nil {
		return fmt.Errorf("click %q: %w", label, err)
	}
	return nil
}

// SendText types text into the message box and presses the send button.
func SendText(ctx context.Context, text string) error {
	wctx, cancel := waitCtx(ctx)
	defer cancel()
	steps := []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(chromedp.CSS(SelText)), setText("")}
	if strings.ContainsAny(text, "\r\n") || utf8.RuneCountInString(text) > 200 {
		// SendKeys turns a newline into Enter, which sends; long text types slowly.
		steps = append(steps, setText(text))
	} else {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS(SelText), text))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(SelSend)))
	if err := chromedp.Do(wctx, steps...); err != nil {
		return fmt.Errorf("send text: %w", err)
	}
	return nil
}

// SetText puts text into the message box without sending it.
func SetText(ctx context.Context, text string) error {
	return chromedp.Do(ctx, setText(text))
}

func setText(text string) chromedp.Action[chromedp.Void] {
	lit, _ := json.Marshal(text) // a JSON string is a valid JavaScript string literal
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function () {
		var el = document.querySelector(%q);
		el.value = %s;
		el.dispatchEvent(new Event('input', {bubbles: true}));
	})()`, SelText, lit))
}

// UploadPhoto picks a file in the photo input, as choosing it in the phone's picker does.
func UploadPhoto(ctx context.Context, path string) error {
	wctx, cancel := waitCtx(ctx)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.SetUploadFiles(chromedp.CSS(SelPhoto), []string{path})); err != nil {
		return fmt.Errorf("upload %s: %w", path, err)
	}
	return nil
}

// waitTextJS returns the text of the newest element matching the selector that contains s.
const waitTextJS = `function(sel, s) {
	var els = document.querySelectorAll(sel);
	for (var i = els.length - 1; i >= 0; i--) {
		var txt = els[i].innerText;
		if (txt.indexOf(s) >= 0) return txt;
	}
	return '';
}`

func waitText(ctx context.Context, sel, substr string) (string, error) {
	wctx, cancel := waitCtx(ctx)
	defer cancel()
	txt, err := chromedp.Run(wctx, chromedp.PollFunction[string](waitTextJS,
		chromedp.WithPollingArgs(sel, substr), chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(0)))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(txt), nil
}

// WaitBotText waits for a bot bubble containing substr and returns that bubble's text.
func WaitBotText(ctx context.Context, substr string) (string, error) {
	txt, err := waitText(ctx, SelBotMsg+" .text", substr)
	if err != nil {
		got, _ := BotTexts(ctx)
		return "", fmt.Errorf("no bot message containing %q (bot said: %q): %w", substr, got, err)
	}
	return txt, nil
}

// WaitUserText waits for a citizen bubble containing substr (pending or delivered).
func WaitUserText(ctx context.Context, substr string) (string, error) {
	txt, err := waitText(ctx, SelUserMsg, substr)
	if err != nil {
		got, _ := texts(ctx, SelUserMsg)
		return "", fmt.Errorf("no citizen message containing %q (have: %q): %w", substr, got, err)
	}
	return txt, nil
}

// WaitNote waits for a local hint (such as the location fallback) containing substr.
func WaitNote(ctx context.Context, substr string) (string, error) {
	txt, err := waitText(ctx, SelNote, substr)
	if err != nil {
		return "", fmt.Errorf("no note containing %q: %w", substr, err)
	}
	return txt, nil
}

// WaitDelivered waits until no citizen message is pending (every send was answered).
func WaitDelivered(ctx context.Context) error {
	wctx, cancel := waitCtx(ctx)
	defer cancel()
	_, err := chromedp.Run(wctx, chromedp.Poll[bool](`document.querySelectorAll('.msg.pending').length === 0`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(0)))
	if err != nil {
		return fmt.Errorf("messages still pending: %w", err)
	}
	return nil
}

func texts(ctx context.Context, sel string) ([]string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(
		`Array.from(document.querySelectorAll(%q)).map(function (e) { return e.innerText.trim(); })`, sel)))
}

// BotTexts returns the text of every bot bubble, oldest first.
func BotTexts(ctx context.Context) ([]string, error) { return texts(ctx, SelBotMsg+" .text") }

// UserTexts returns the text of every citizen bubble, oldest first.
func UserTexts(ctx context.Context) ([]string, error) { return texts(ctx, SelUserMsg+" .text") }

// Buttons returns the labels of the enabled choice buttons.
func Buttons(ctx context.Context) ([]string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('.choices button')).filter(function (b) { return !b.disabled; }).map(function (b) { return b.textContent.trim(); })`))
}

// Status returns the notice line's text, "" when hidden.
func Status(ctx context.Context) (string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[string](`(function () { var s = document.querySelector('#status'); return s.hidden ? '' : s.textContent; })()`))
}

// SetLocation makes the page's origin allowed to read the position, and the position lat/lng.
func SetLocation(ctx context.Context, origin string, lat, lng float64) error {
	if err := setGeoPermission(ctx, origin, browser.PermissionSettingGranted); err != nil {
		return err
	}
	acc := 10.0
	if _, err := chromedp.Call(ctx, emulation.SetGeolocationOverride,
		emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lng, Accuracy: &acc}); err != nil {
		return fmt.Errorf("set geolocation: %w", err)
	}
	return nil
}

// DenyLocation makes the browser refuse the page's location request, like a citizen who
// taps "Block" or a phone with GPS off.
func DenyLocation(ctx context.Context, origin string) error {
	return setGeoPermission(ctx, origin, browser.PermissionSettingDenied)
}

func setGeoPermission(ctx context.Context, origin string, setting browser.PermissionSetting) error {
	if origin == "" {
		return errors.New("geolocation permission needs the page's origin")
	}
	_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "geolocation"},
		Setting:    setting,
		Origin:     origin,
	})
	if err != nil {
		return fmt.Errorf("set geolocation permission %s: %w", setting, err)
	}
	return nil
}

// The phone the web chat is designed for: a cheap Android at 360×740 CSS pixels.
const (
	PhoneWidth  = 360
	PhoneHeight = 740
)

// EmulatePhone makes the page's viewport a PhoneWidth×PhoneHeight mobile screen.
func EmulatePhone(ctx context.Context) error {
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(PhoneWidth, PhoneHeight, chromedp.EmulateMobile, chromedp.EmulatePortrait)); err != nil {
		return fmt.Errorf("emulate a %dx%d phone: %w", PhoneWidth, PhoneHeight, err)
	}
	return nil
}

// Slow 3G as the web chat's budget assumes it: 2 s from request to response headers, 50 KB/s.
const (
	Slow3GLatency    = 2 * time.Second
	Slow3GThroughput = 50 << 10 // bytes per second, both ways
)

// Throttle makes every request of the page take at least latency to its response headers and
// the transfers share bytesPerSec (CDP Network.emulateNetworkConditionsByRule, the current form
// of Network.emulateNetworkConditions, with one rule matching everything).
func Throttle(ctx context.Context, latency time.Duration, bytesPerSec float64) error {
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		return fmt.Errorf("enable network: %w", err)
	}
	_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{
			Latency: float64(latency.Milliseconds()), DownloadThroughput: bytesPerSec, UploadThroughput: bytesPerSec,
			ConnectionType: network.ConnectionTypeCellular3g,
		}},
	})
	if err != nil {
		return fmt.Errorf("throttle the network: %w", err)
	}
	return nil
}

// Page binds a browser context to a test: each method fails the test on error.
type Page struct {
	T   testing.TB
	Ctx context.Context
}

// Open starts a browser (see Browser) and opens the chat page at url.
func Open(t testing.TB, url string) *Page {
	t.Helper()
	ctx := Browser(t)
	if err := OpenChat(ctx, url); err != nil {
		t.Fatal(err)
	}
	return &Page{T: t, Ctx: ctx}
}

func (p *Page) check(err error) {
	p.T.Helper()
	if err != nil {
		p.T.Fatal(err)
	}
}

// OpenPhone starts a browser with a PhoneWidth×PhoneHeight mobile viewport and opens
// the chat page at url.
func OpenPhone(t testing.TB, url string) *Page {
	t.Helper()
	ctx := Browser(t)
	if err := EmulatePhone(ctx); err != nil {
		t.Fatal(err)
	}
	if err := OpenChat(ctx, url); err != nil {
		t.Fatal(err)
	}
	return &Page{T: t, Ctx: ctx}
}

// Click presses the button with this visible label.
func (p *Page) Click(label string) { p.T.Helper(); p.check(ClickButton(p.Ctx, label)) }

// Send types and sends a text message.
func (p *Page) Send(text string) { p.T.Helper(); p.check(SendText(p.Ctx, text)) }

// Upload picks a photo file to send.
func (p *Page) Upload(path string) { p.T.Helper(); p.check(UploadPhoto(p.Ctx, path)) }

// WaitBot waits for a bot bubble containing substr and returns its text.
func (p *Page) WaitBot(substr string) string {
	p.T.Helper()
	txt, err := WaitBotText(p.Ctx, substr)
	p.check(err)
	return txt
}

// WaitUser waits for a citizen bubble containing substr and returns its text.
func (p *Page) WaitUser(substr string) string {
	p.T.Helper()
	txt, err := WaitUserText(p.Ctx, substr)
	p.check(err)
	return txt
}

// Buttons returns the enabled choice labels.
func (p *Page) Buttons() []string {
	p.T.Helper()
	b, err := Buttons(p.Ctx)
	p.check(err)
	return b
}
