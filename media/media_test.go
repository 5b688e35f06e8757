package media_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/media"
	"github.com/suarawarga/suarawarga/media/mediatest"
)

func TestCleanDropsMetadataKeepsOrientation(t *testing.T) {
	t.Parallel()
	wantMIME := map[string]string{"image/jpeg": "image/jpeg", "image/png": "image/png", "image/webp": "image/jpeg"}
	for _, f := range mediatest.Fixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			require.True(t, bytes.Contains(f.Data, []byte(mediatest.OwnerName)), "the fixture itself carries the owner's name")
			require.Equal(t, 6, media.Orientation(f.Data), "the fixture is stored turned")
			img, err := media.Clean(f.Data)
			require.NoError(t, err)
			require.Equal(t, wantMIME[f.MIME], img.MIME)
			require.Equal(t, mediatest.UprightW, img.Width)
			require.Equal(t, mediatest.UprightH, img.Height)
			mediatest.AssertClean(t, "cleaned", img.Data)
			mediatest.AssertUpright(t, "cleaned", img.Data)
			require.Equal(t, 1, media.Orientation(img.Data))
			if img.Preview != nil {
				mediatest.AssertClean(t, "preview", img.Preview)
				mediatest.AssertUpright(t, "preview", img.Preview)
			}
			again, err := media.Clean(f.Data)
			require.NoError(t, err)
			require.Equal(t, img.Data, again.Data, "cleaning is deterministic, so the stored file is named by its content")
			twice, err := media.Clean(img.Data)
			require.NoError(t, err)
			mediatest.AssertUpright(t, "cleaned twice", twice.Data)
		})
	}
}

// TestOrientEveryTag checks each of the eight EXIF orientations pixel by pixel
// through the lossless path (a PNG with an eXIf chunk).
func TestOrientEveryTag(t *testing.T) {
	t.Parallel()
	// A 3 × 2 picture with six distinct pixels, upright.
	up := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i := range 6 {
		up.SetNRGBA(i%3, i/3, color.NRGBA{uint8(40 * i), uint8(255 - 40*i), uint8(i), 255})
	}
	// stored[o] is how a camera stores up to be shown with orientation o: the
	// inverse transform, written out by hand per tag.
	stored := func(o int) *image.NRGBA {
		w, h := 3, 2
		sw, sh := w, h
		if o >= 5 {
			sw, sh = h, w
		}
		m := image.NewNRGBA(image.Rect(0, 0, sw, sh))
		for y := range h {
			for x := range w {
				var sx, sy int
				switch o {
				case 1:
					sx, sy = x, y
				case 2:
					sx, sy = w-1-x, y
				case 3:
					sx, sy = w-1-x, h-1-y
				case 4:
					sx, sy = x, h-1-y
				case 5:
					sx, sy = y, x
				case 6: // shown turned right: the stored picture is turned left
					sx, sy = y, w-1-x
				case 7:
					sx, sy = h-1-y, w-1-x
				case 8: // shown turned left: stored turned right
					sx, sy = h-1-y, x
				}
				m.SetNRGBA(sx, sy, up.NRGBAAt(x, y))
			}
		}
		return m
	}
	for o := 1; o <= 8; o++ {
		got := media.Orient(stored(o), o)
		require.Equal(t, up.Bounds(), got.Bounds(), "orientation %d", o)
		for y := range 2 {
			for x := range 3 {
				require.Equal(t, up.NRGBAAt(x, y), color.NRGBAModel.Convert(got.At(x, y)), "orientation %d at %d,%d", o, x, y)
			}
		}
		data := withPNGOrientation(t, stored(o), o)
		require.Equal(t, o, media.Orientation(data))
		img, err := media.Clean(data)
		require.NoError(t, err)
		m, err := png.Decode(bytes.NewReader(img.Data))
		require.NoError(t, err)
		for y := range 2 {
			for x := range 3 {
				require.Equal(t, up.NRGBAAt(x, y), color.NRGBAModel.Convert(m.At(x, y)), "cleaned, orientation %d at %d,%d", o, x, y)
			}
		}
	}
}

// TestOrientYCbCr turns JPEG-decoded images of every subsampling without
// converting them, and matches the generic path.
func TestOrientYCbCr(t *testing.T) {
	t.Parallel()
	for _, r := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440} {
		m := image.NewYCbCr(image.Rect(0, 0, 8, 6), r)
		for i := range m.Y {
			m.Y[i] = uint8(i * 7)
		}
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = uint8(100+i), uint8(200-i)
		}
		for o := 1; o <= 8; o++ {
			got := media.Orient(m, o)
			_, same := got.(*image.YCbCr)
			require.True(t, same || o == 1, "ratio %v orientation %d stays YCbCr", r, o)
			want := media.Orient(toNRGBA(m), o)
			require.Equal(t, want.Bounds(), got.Bounds())
			for y := range want.Bounds().Dy() {
				for x := range want.Bounds().Dx() {
					require.Equal(t, color.NRGBAModel.Convert(want.At(x, y)), color.NRGBAModel.Convert(got.At(x, y)),
						"ratio %v orientation %d at %d,%d", r, o, x, y)
				}
			}
		}
	}
}

func toNRGBA(m image.Image) *image.NRGBA {
	b := m.Bounds()
	n := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			n.Set(x, y, m.At(x, y))
		}
	}
	return n
}

func TestPreview(t *testing.T) {
	t.Parallel()
	big := image.NewRGBA(image.Rect(0, 0, 3000, 2000))
	for y := range 2000 {
		for x := range 3000 {
			big.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, big, nil))
	img, err := media.Clean(buf.Bytes())
	require.NoError(t, err)
	require.Equal(t, 3000, img.Width)
	require.NotNil(t, img.Preview)
	require.Equal(t, [2]int{1280, 853}, [2]int{img.PreviewWidth, img.PreviewHeight})
	cfg, format, err := image.DecodeConfig(bytes.NewReader(img.Preview))
	require.NoError(t, err)
	require.Equal(t, "jpeg", format)
	require.Equal(t, [2]int{1280, 853}, [2]int{cfg.Width, cfg.Height})
	require.Less(t, len(img.Preview), len(img.Data))

	// A tall PNG screenshot with transparency: kept as PNG, previewed over white.
	tall := image.NewNRGBA(image.Rect(0, 0, 600, 2600))
	var pb bytes.Buffer
	require.NoError(t, png.Encode(&pb, tall))
	img, err = media.Clean(pb.Bytes())
	require.NoError(t, err)
	require.Equal(t, "image/png", img.MIME)
	require.Equal(t, [2]int{295, 1280}, [2]int{img.PreviewWidth, img.PreviewHeight})
	pm, err := jpeg.Decode(bytes.NewReader(img.Preview))
	require.NoError(t, err)
	r, g, b, _ := pm.At(10, 10).RGBA()
	require.Greater(t, r>>8+g>>8+b>>8, uint32(700), "transparent pixels preview as white")

	// A small JPEG is its own preview.
	img, err = media.Clean(mediatest.JPEG(t, image.NewGray(image.Rect(0, 0, 100, 50))))
	require.NoError(t, err)
	require.Nil(t, img.Preview)
	require.Equal(t, [2]int{50, 100}, [2]int{img.PreviewWidth, img.PreviewHeight}, "turned by its orientation")
}

func TestCleanGIFKeepsFirstFrameAsPNG(t *testing.T) {
	t.Parallel()
	pal := color.Palette{color.White, color.Black}
	g := &gif.GIF{}
	for i := range 2 {
		f := image.NewPaletted(image.Rect(0, 0, 10, 10), pal)
		f.SetColorIndex(0, 0, uint8(i))
		g.Image, g.Delay = append(g.Image, f), append(g.Delay, 10)
	}
	var buf bytes.Buffer
	require.NoError(t, gif.EncodeAll(&buf, g))
	data := buf.Bytes()
	// A comment extension after the header: GIF's place for text.
	i := bytes.Index(data, []byte{0x21, 0xF9})
	withComment := append(append(append([]byte{}, data[:i]...), append([]byte{0x21, 0xFE, byte(len(mediatest.Comment))}, append([]byte(mediatest.Comment), 0)...)...), data[i:]...)
	img, err := media.Clean(withComment)
	require.NoError(t, err)
	require.Equal(t, "image/png", img.MIME)
	mediatest.AssertClean(t, "gif", img.Data)
}

func TestCleanRefuses(t *testing.T) {
	t.Parallel()
	for name, data := range map[string][]byte{
		"empty":     nil,
		"pdf":       []byte("%PDF-1.4 not an image"),
		"truncated": mediatest.JPEG(t, image.NewGray(image.Rect(0, 0, 64, 64)))[:300],
		"zero size": pngHeader(0, 10),
	} {
		_, err := media.Clean(data)
		require.ErrorIs(t, err, media.ErrNotImage, name)
	}
	// A tiny file declaring a 100000 × 100000 canvas is refused before it is decoded.
	_, err := media.Clean(pngHeader(100000, 100000))
	require.True(t, errors.Is(err, media.ErrTooManyPixels), "got %v", err)
}

// pngHeader is a PNG signature and IHDR declaring w × h, and nothing else.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6
	mediatest.PNGChunk(&b, "IHDR", ihdr)
	return b.Bytes()
}

// withPNGOrientation encodes m as a PNG whose eXIf chunk says orientation o.
func withPNGOrientation(t *testing.T, m image.Image, o int) []byte {
	var enc bytes.Buffer
	require.NoError(t, png.Encode(&enc, m))
	data := enc.Bytes()
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0, 0, 0, 0, 0}
	var b bytes.Buffer
	b.Write(data[:33])
	mediatest.PNGChunk(&b, "eXIf", tiff)
	b.Write(data[33:])
	return b.Bytes()
}

func BenchmarkClean12MP(b *testing.B) {
	m := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	for i := range m.Y {
		m.Y[i] = uint8(i ^ i>>7)
	}
	for i := range m.Cb {
		m.Cb[i], m.Cr[i] = uint8(i>>3), uint8(i>>5)
	}
	for _, o := range []int{1, 6} {
		data := mediatest.JPEG(b, m)
		if o == 1 {
			data = plainJPEG(b, m)
		}
		b.Run(map[int]string{1: "upright", 6: "turned"}[o], func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := media.Clean(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func plainJPEG(b *testing.B, m image.Image) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
