package webtest

import (
	"context"
	_ "embed" // axe-core, vendored
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core (MPL-2.0, Deque Systems), vendored from its npm package with its
// licence files beside it in axe/. Tests inject it into the page under test; it never
// reaches the binary (only test code imports this package).
//
//go:embed axe/axe.min.js
var axeSource string

// AxeTags are the rule sets Axe runs: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's
// best practices (one main landmark, all content inside landmarks, ...).
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// AxeViolation is one failed axe rule and the elements that fail it.
type AxeViolation struct {
	ID      string    `json:"id"`     // the rule, e.g. "color-contrast"
	Impact  string    `json:"impact"` // minor, moderate, serious or critical
	Help    string    `json:"help"`
	HelpURL string    `json:"helpUrl"`
	Nodes   []AxeNode `json:"nodes"`
}

// AxeNode is one element that fails a rule.
type AxeNode struct {
	Target  []string `json:"target"` // CSS selector(s) of the element
	HTML    string   `json:"html"`
	Failure string   `json:"failureSummary"`
}

// String is the violation in one readable paragraph, for a test failure.
func (v AxeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s — %s", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %s %s\n      %s", strings.Join(n.Target, " "), n.HTML,
			strings.ReplaceAll(strings.TrimSpace(n.Failure), "\n", "\n      "))
	}
	return b.String()
}

// axeOptions is what an AxeOption changes.
type axeOptions struct {
	Exclude []string `json:"exclude"`
	Disable []string `json:"disable"`
	Context string   `json:"context"`
}

// AxeOption narrows an Axe run.
type AxeOption func(*axeOptions)

// AxeExclude leaves the elements matching these CSS selectors (and their content) out,
// e.g. a third-party widget tested elsewhere.
func AxeExclude(selectors ...string) AxeOption {
	return func(o *axeOptions) { o.Exclude = append(o.Exclude, selectors...) }
}

// AxeDisable turns off rules by id. Say in the test why each one does not apply.
func AxeDisable(ruleIDs ...string) AxeOption {
	return func(o *axeOptions) { o.Disable = append(o.Disable, ruleIDs...) }
}

// AxeWithin checks only the element matching this CSS selector (default the whole document).
func AxeWithin(selector string) AxeOption {
	return func(o *axeOptions) { o.Context = selector }
}

// runAxeJS waits for running animations to end, runs axe over the document and returns its violations, trimmed to what a test
// failure needs. Frames are not entered: test a framed page by opening it directly.
const runAxeJS = `(async function (tags, o) {
	// A message fading in has, for a moment, too little contrast: judge the settled page.
	await Promise.all(document.getAnimations().filter(function (a) {
		return !a.effect || a.effect.getComputedTiming().endTime !== Infinity; // a spinner never ends
	}).map(function (a) { return a.finished.catch(function () {}); }));
	var ctx = o.context ? {include: [o.context]} : {include: [document]};
	if (o.exclude && o.exclude.length) ctx.exclude = o.exclude.map(function (s) { return [s]; });
	var rules = {};
	(o.disable || []).forEach(function (id) { rules[id] = {enabled: false}; });
	var r = await axe.run(ctx, {runOnly: {type: 'tag', values: tags}, rules: rules, iframes: false,
		resultTypes: ['violations']});
	return r.violations.map(function (v) {
		return {id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
			nodes: v.nodes.map(function (n) {
				return {target: n.target.map(String), html: n.html, failureSummary: n.failureSummary || ''};
			})};
	});
})(%s, %s)`

// Axe runs axe-core in the page of ctx (injecting it on first use in each document) and
// returns the violations of AxeTags; an empty result means the page passes.
//
// Run it in every state of a page a test reaches (each dialog open, each message kind
// shown): axe sees only what is in the DOM and visible now. It waits for nothing: wait for
// the state first (WaitBotText, WaitVisible...).
func Axe(ctx context.Context, opts ...AxeOption) ([]AxeViolation, error) {
	var o axeOptions
	for _, f := range opts {
		f(&o)
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object' && typeof window.axe.run === 'function'`))
	if err != nil {
		return nil, fmt.Errorf("axe: %w", err)
	}
	if !loaded {
		// Runtime.evaluate is not subject to the page's Content-Security-Policy, so axe
		// runs in pages that forbid inline scripts, which a <script> tag would not.
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
			return nil, fmt.Errorf("axe: inject axe-core: %w", err)
		}
	}
	tags, _ := json.Marshal(AxeTags)
	ob, _ := json.Marshal(o)
	wctx, cancel := waitCtx(ctx)
	defer cancel()
	out, err := chromedp.Run(wctx, chromedp.Evaluate[[]AxeViolation](fmt.Sprintf(runAxeJS, tags, ob), chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("axe: run: %w", err)
	}
	return out, nil
}

// RequireAxe fails the test when axe finds a violation in the page's current state,
// named by state in the message ("welcome", "map open"...).
func RequireAxe(t testing.TB, ctx context.Context, state string, opts ...AxeOption) {
	t.Helper()
	vs, err := Axe(ctx, opts...)
	if err != nil {
		t.Fatalf("axe in state %q: %v", state, err)
	}
	if len(vs) == 0 {
		return
	}
	lines := make([]string, len(vs))
	for i, v := range vs {
		lines[i] = "  " + v.String()
	}
	t.Fatalf("axe: %d violation(s) in state %q:\n%s", len(vs), state, strings.Join(lines, "\n"))
}

// Axe fails the test when the page's current state has an axe violation.
func (p *Page) Axe(state string, opts ...AxeOption) {
	p.T.Helper()
	RequireAxe(p.T, p.Ctx, state, opts...)
}
