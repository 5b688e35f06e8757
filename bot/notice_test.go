package bot

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/locales"
	"github.com/suarawarga/suarawarga/models"
)

func TestFitText(t *testing.T) {
	t.Parallel()
	render := func(d map[string]any) string { return "Laporan X\n\"" + d["uraian"].(string) + "\"\nBatas: Jumat" }
	short := map[string]any{"uraian": "Jalan rusak"}
	require.Equal(t, render(short), fitText(render, short, 100, " (lihat)"))

	long := map[string]any{"uraian": strings.Repeat("🚧 lubang ", 200)}
	got := fitText(render, long, 300, " (lihat)")
	require.LessOrEqual(t, utf16Len(got), 300)
	require.Contains(t, got, "… (lihat)\"")
	require.True(t, strings.HasSuffix(got, "Batas: Jumat"), "the rest of the notice stays whole")
	require.Greater(t, utf16Len(got), 280, "as much of the description as fits")
	require.Equal(t, strings.Repeat("🚧 lubang ", 200), long["uraian"], "the caller's data is left alone")

	// A template too long even without its free text is cut hard.
	huge := func(map[string]any) string { return strings.Repeat("x", 500) }
	require.Len(t, fitText(huge, map[string]any{}, 100, ""), 100-1+len("…"))
}

func TestNoticeLayout(t *testing.T) {
	t.Parallel()
	cat, err := locales.Load()
	require.NoError(t, err)
	h := &Handler{Locales: cat}
	render := func(d map[string]any) string { return "Laporan baru OKI-2611-0001\n\"" + d["uraian"].(string) + "\"" }
	lat, lng := -3.39, 104.83
	buttons := []Choice{{ID: "aksi:terima:OKI-2611-0001", Label: "Terima"}}
	photos := []models.Attachment{{ID: 1, Path: "a.jpg"}, {ID: 2, Path: "b.jpg"}}

	outs := h.noticeLayout("id", "OKI-2611-0001", render, map[string]any{"uraian": "Jalan rusak"}, photos, &lat, &lng, buttons, true)
	require.Len(t, outs, 2)
	require.Equal(t, "a.jpg", outs[0].PhotoPath)
	require.Equal(t, buttons, outs[0].Choices, "the buttons ride on the first message")
	require.Contains(t, outs[0].Text, "query=-3.390000,104.830000")
	require.False(t, outs[0].HasLocation, "no separate map pin")
	require.Equal(t, "b.jpg", outs[1].PhotoPath)
	require.Empty(t, outs[1].Choices)
	require.Equal(t, "📷 OKI-2611-0001 — foto 2 dari 2", outs[1].Text)

	// Without shortening (the officer's /lihat), a long text goes alone with the buttons and the photos follow.
	long := map[string]any{"uraian": strings.Repeat("panjang ", 200)}
	outs = h.noticeLayout("id", "OKI-2611-0001", render, long, photos[:1], nil, nil, buttons, false)
	require.Len(t, outs, 2)
	require.Empty(t, outs[0].PhotoPath)
	require.Equal(t, buttons, outs[0].Choices)
	require.Contains(t, outs[0].Text, strings.Repeat("panjang ", 199))
	require.Equal(t, "a.jpg", outs[1].PhotoPath)
	require.Equal(t, "📷 OKI-2611-0001 — foto 1 dari 1", outs[1].Text)

	// Shortened, the same fits one caption.
	outs = h.noticeLayout("id", "OKI-2611-0001", render, long, photos[:1], nil, nil, buttons, true)
	require.Len(t, outs, 1)
	require.LessOrEqual(t, utf16Len(outs[0].Text), noticeCaptionMax)
	require.Contains(t, outs[0].Text, "/lihat OKI-2611-0001")
}
