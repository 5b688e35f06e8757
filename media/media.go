// Package media cleans the images citizens and officers send before they are
// stored: it decodes them, turns the pixels the way the EXIF orientation says,
// and encodes them again, so no EXIF, XMP, IPTC, ICC, comment or text chunk (a
// phone's owner name, device, GPS position) survives in any stored byte. It
// also makes the light JPEG preview that chats and consoles show.
package media

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// PreviewMax is the longest side, in pixels, of a preview.
const PreviewMax = 1280

// MaxPixels bounds the images decoded (width × height): a small file may
// declare a huge canvas, and decoding it would take the process's memory.
// 50 megapixels is above every phone camera's default output.
const MaxPixels = 50_000_000

const (
	jpegQuality    = 90 // the cleaned original: close to what the phone sent
	previewQuality = 80 // the preview: light on a slow link, still sharp on a phone screen
)

// slots bounds how many images are cleaned at once, process-wide (memory, not
// configuration: see Clean).
var slots = make(chan struct{}, max(1, min(runtime.NumCPU(), 4)))

// ErrNotImage is returned when the bytes are not a JPEG, PNG, GIF or WebP image
// that decodes.
var ErrNotImage = errors.New("not a supported image")

// ErrTooManyPixels is returned for an image larger than MaxPixels.
var ErrTooManyPixels = errors.New("image has too many pixels")

// Image is a cleaned image: the record and its preview.
type Image struct {
	Data []byte // the cleaned image: JPEG, or PNG for a PNG, GIF or a WebP with transparency
	MIME string // image/jpeg or image/png
	Ext  string // .jpg or .png
	// Width and Height are the cleaned image's size, the orientation applied.
	Width, Height int
	// Preview is a JPEG whose longest side is at most PreviewMax; nil when Data
	// itself is a JPEG that small (send Data then).
	Preview []byte
	// PreviewWidth and PreviewHeight are the preview's size (Data's when Preview is nil).
	PreviewWidth, PreviewHeight int
}

// Clean decodes data (JPEG, PNG, GIF: its first frame, WebP), applies its EXIF
// orientation and encodes the pixels again, dropping every piece of metadata.
// The result is the same for the same input bytes.
func Clean(data []byte) (*Image, error) {
	// A 12-megapixel photo takes some 50 MB while it is cleaned: a burst of
	// albums waits here instead of taking the process past its memory limit.
	slots <- struct{}{}
	defer func() { <-slots }()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("clean image: %w: %v", ErrNotImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("clean image: %w: empty %dx%d canvas", ErrNotImage, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, fmt.Errorf("clean image of %dx%d: %w", cfg.Width, cfg.Height, ErrTooManyPixels)
	}
	var img image.Image
	switch format {
	case "jpeg":
		img, err = jpeg.Decode(bytes.NewReader(data))
	case "png":
		img, err = png.Decode(bytes.NewReader(data))
	case "gif":
		img, err = gif.Decode(bytes.NewReader(data)) // the first frame only
	case "webp":
		img, err = webp.Decode(bytes.NewReader(data))
	default:
		return nil, fmt.Errorf("clean image: %w: format %q", ErrNotImage, format)
	}
	if err != nil {
		return nil, fmt.Errorf("clean %s image: %w: %v", format, ErrNotImage, err)
	}
	img = Orient(img, Orientation(data))

	out := &Image{Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	var buf bytes.Buffer
	// A photo stays a JPEG; an image that may hold sharp text (a screenshot, PNG)
	// or transparency stays lossless.
	if format == "jpeg" || (format == "webp" && opaque(img)) {
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
			return nil, fmt.Errorf("encode cleaned jpeg: %w", err)
		}
		out.MIME, out.Ext = "image/jpeg", ".jpg"
	} else {
		enc := png.Encoder{CompressionLevel: png.DefaultCompression}
		if err := enc.Encode(&buf, img); err != nil {
			return nil, fmt.Errorf("encode cleaned png: %w", err)
		}
		out.MIME, out.Ext = "image/png", ".png"
	}
	out.Data = buf.Bytes()

	if out.MIME == "image/jpeg" && out.Width <= PreviewMax && out.Height <= PreviewMax {
		out.PreviewWidth, out.PreviewHeight = out.Width, out.Height
		return out, nil
	}
	prev, w, h, err := preview(img)
	if err != nil {
		return nil, err
	}
	out.Preview, out.PreviewWidth, out.PreviewHeight = prev, w, h
	return out, nil
}

// preview scales img to fit PreviewMax × PreviewMax, over white where it is
// transparent, and encodes it as a JPEG.
func preview(img image.Image) ([]byte, int, int, error) {
	b := img.Bounds()
	w, h := fit(b.Dx(), b.Dy(), PreviewMax)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
	} else {
		// An exact box average by a whole factor first (cheap in memory: a few
		// rows at a time), then a bilinear step of less than 2×, which does not alias.
		src := img
		if f := min(b.Dx()/w, b.Dy()/h); f >= 2 {
			src = shrink(img, f)
		}
		xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Over, nil)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: previewQuality}); err != nil {
		return nil, 0, 0, fmt.Errorf("encode preview: %w", err)
	}
	return buf.Bytes(), w, h, nil
}

// shrink averages each f × f block of img into one pixel (premultiplied, so
// transparency averages right), converting f rows at a time.
func shrink(img image.Image, f int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx()/f, b.Dy()/f
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	stripe := image.NewRGBA(image.Rect(0, 0, w*f, f))
	sums := make([]uint32, 4*w)
	n := uint32(f * f)
	for oy := 0; oy < h; oy++ {
		draw.Draw(stripe, stripe.Bounds(), img, image.Pt(b.Min.X, b.Min.Y+oy*f), draw.Src)
		clear(sums)
		for y := 0; y < f; y++ {
			row := stripe.Pix[y*stripe.Stride : y*stripe.Stride+4*w*f]
			for x := 0; x < w*f; x++ {
				o := 4 * (x / f)
				p := row[4*x : 4*x+4]
				sums[o] += uint32(p[0])
				sums[o+1] += uint32(p[1])
				sums[o+2] += uint32(p[2])
				sums[o+3] += uint32(p[3])
			}
		}
		dst := out.Pix[oy*out.Stride : oy*out.Stride+4*w]
		for i, s := range sums {
			dst[i] = uint8((s + n/2) / n)
		}
	}
	return out
}

// fit scales w × h down so that neither side exceeds limit, keeping the aspect ratio.
func fit(w, h, limit int) (int, int) {
	if w <= limit && h <= limit {
		return w, h
	}
	if w >= h {
		return limit, max(1, (h*limit+w/2)/w)
	}
	return max(1, (w*limit+h/2)/h), limit
}

// opaque reports whether every pixel of img is fully opaque.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}
