// Package locales holds every text a citizen, officer or admin reads, by key,
// in Indonesian (the reference, "id") and English ("en"), and the lookup helper.
package locales

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/template"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
)

//go:embed id.yaml en.yaml
var files embed.FS

// Default is the reference language: every key exists in it and every lookup falls back to it.
const Default = "id"

// languages lists the supported languages, the default first.
var languages = []string{"id", "en"}

// Catalog looks texts up by dotted key and language. It is safe for concurrent use.
type Catalog struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
	raw        map[string]map[string]string // lang -> key -> template source
	globals    map[string]any               // data every text may use, e.g. the regency's name
}

// WithGlobals returns a catalog whose texts also see g (the caller's data wins), so
// texts can name the regency ({{.pemda}}) without any regency data in code or locales.
func (c *Catalog) WithGlobals(g map[string]any) *Catalog {
	cp := *c
	cp.globals = g
	return &cp
}

// Load builds the catalog from the embedded id.yaml and en.yaml.
func Load() (*Catalog, error) {
	src := make(map[string][]byte, len(languages))
	for _, lang := range languages {
		b, err := files.ReadFile(lang + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("read locale %s: %w", lang, err)
		}
		src[lang] = b
	}
	return New(src)
}

// New builds a catalog from YAML sources by language; it is Load's engine and serves tests.
// Each source is a nested map whose leaves are strings; a key is the dotted path to a leaf.
// A top-level namespace may appear in several blocks (they merge); a leaf defined twice is an error.
func New(src map[string][]byte) (*Catalog, error) {
	if _, ok := src[Default]; !ok {
		return nil, fmt.Errorf("locale %s is missing", Default)
	}
	c := &Catalog{
		bundle:     i18n.NewBundle(language.Indonesian),
		localizers: map[string]*i18n.Localizer{},
		raw:        map[string]map[string]string{},
	}
	langs := make([]string, 0, len(src))
	for lang := range src {
		langs = append(langs, lang)
	}
	sort.Strings(langs)
	for _, lang := range langs {
		flat, err := flatten(src[lang])
		if err != nil {
			return nil, fmt.Errorf("locale %s: %w", lang, err)
		}
		tag, err := language.Parse(lang)
		if err != nil {
			return nil, fmt.Errorf("locale %s: bad language tag: %w", lang, err)
		}
		msgs := make([]*i18n.Message, 0, len(flat))
		for k, v := range flat {
			msgs = append(msgs, &i18n.Message{ID: k, Other: v})
		}
		if err := c.bundle.AddMessages(tag, msgs...); err != nil {
			return nil, fmt.Errorf("locale %s: %w", lang, err)
		}
		c.raw[lang] = flat
	}
	for _, lang := range langs {
		c.localizers[lang] = i18n.NewLocalizer(c.bundle, lang, Default)
	}
	return c, nil
}

// T renders the text for key in lang with data as Go template data ({{.kode}}).
// A key missing in lang falls back to Indonesian; a key missing everywhere returns the key itself.
// A data key the template uses but data lacks renders as an empty string.
func (c *Catalog) T(lang, key string, data map[string]any) string {
	lang = Normalize(lang)
	loc, ok := c.localizers[lang]
	if !ok {
		loc = c.localizers[Default]
	}
	if !c.has(lang, key) && !c.has(Default, key) {
		return key
	}
	data = c.withGlobals(data)
	out, err := loc.Localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: data})
	if err != nil {
		// A fallback to Indonesian reports "not found in lang" yet renders; anything else is a broken template.
		var nf *i18n.MessageNotFoundErr
		if !errors.As(err, &nf) || out == "" {
			if s, ok := c.raw[lang][key]; ok {
				return s
			}
			return c.raw[Default][key]
		}
	}
	// text/template prints a missing map entry as "<no value>"; a person should see nothing instead.
	return strings.ReplaceAll(out, "<no value>", "")
}

// withGlobals merges the catalog's globals under data (data wins); never nil.
func (c *Catalog) withGlobals(data map[string]any) map[string]any {
	if len(c.globals) > 0 {
		merged := make(map[string]any, len(c.globals)+len(data))
		for k, v := range c.globals {
			merged[k] = v
		}
		for k, v := range data {
			merged[k] = v
		}
		return merged
	}
	if data == nil {
		return map[string]any{}
	}
	return data
}

// Execute renders src, a text written elsewhere than the catalog (a flow's own wording), as
// the catalog renders its texts: a Go template over data plus the globals ({{.pemda}}), a
// missing data key rendering as nothing. A template that does not parse or run renders as
// its source, so a person still reads the words; it never panics. lang is the language the
// text is for; like the catalog's texts, it uses no language-dependent functions.
func (c *Catalog) Execute(lang, src string, data map[string]any) string {
	if !strings.Contains(src, "{{") {
		return src
	}
	t, err := template.New("").Parse(src)
	if err != nil {
		return src
	}
	var b bytes.Buffer
	if err := t.Execute(&b, c.withGlobals(data)); err != nil {
		return src
	}
	return strings.ReplaceAll(b.String(), "<no value>", "")
}

// Source is the template source of key in lang itself (no fallback), as written in the locale file.
func (c *Catalog) Source(lang, key string) (string, bool) {
	s, ok := c.raw[Normalize(lang)][key]
	return s, ok
}

// Has reports whether key is defined in lang itself (no fallback).
func (c *Catalog) Has(lang, key string) bool {
	return c.has(Normalize(lang), key)
}

func (c *Catalog) has(lang, key string) bool {
	_, ok := c.raw[lang][key]
	return ok
}

// Keys lists the keys defined in lang, sorted.
func (c *Catalog) Keys(lang string) []string {
	m := c.raw[Normalize(lang)]
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Languages lists the languages the catalog holds, the default ("id") first.
func (c *Catalog) Languages() []string {
	out := make([]string, 0, len(c.raw))
	for _, l := range languages {
		if _, ok := c.raw[l]; ok {
			out = append(out, l)
		}
	}
	var extra []string
	for l := range c.raw {
		if !slices.Contains(languages, l) {
			extra = append(extra, l)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

// Normalize maps a platform or browser language hint to a supported language:
// "id-ID", "in" and "" become "id", "en-US" becomes "en", anything unknown becomes "id".
func Normalize(lang string) string {
	l := strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	switch l {
	case "en":
		return "en"
	default:
		return Default
	}
}

// flatten turns a nested YAML map into dotted keys. Scalars are taken verbatim as strings.
func flatten(src []byte) (map[string]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	out := map[string]string{}
	if len(doc.Content) == 0 {
		return out, nil
	}
	if err := walk(doc.Content[0], "", out); err != nil {
		return nil, err
	}
	return out, nil
}

func walk(n *yaml.Node, prefix string, out map[string]string) error {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := k.Value
			if prefix != "" {
				key = prefix + "." + k.Value
			}
			if err := walk(v, key, out); err != nil {
				return err
			}
		}
		return nil
	case yaml.ScalarNode:
		if prefix == "" {
			return fmt.Errorf("line %d: a text needs a key", n.Line)
		}
		if _, dup := out[prefix]; dup {
			return fmt.Errorf("line %d: key %q is defined twice", n.Line, prefix)
		}
		out[prefix] = n.Value
		return nil
	case yaml.AliasNode:
		return walk(n.Alias, prefix, out)
	default:
		return fmt.Errorf("line %d: key %q: want a text or a map of texts", n.Line, prefix)
	}
}

// SampleGlobals are the globals of the sample regency, for tests of texts outside a running bot.
var SampleGlobals = map[string]any{"pemda": "Kabupaten Ogan Komering Ilir", "contoh_kode": "OKI-2611-0042",
	"privasi_tautan": "/privasi", "simpan_tahun": 2}
