// Package mediatest makes images that carry a reporter's identity in their
// metadata, the way phones and apps write it (EXIF owner and GPS, XMP, JPEG
// comments, PNG text chunks, WebP EXIF), and checks that a byte stream served
// or sent by the bot holds none of it. Every route and channel that passes a
// photo on uses the same fixtures and the same check.
package mediatest

import (
	"bytes"
	"compress/zlib"
	_ "embed"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	_ "golang.org/x/image/webp" // decode WebP in Upright
)

// The identity the fixtures hide in their metadata. None of these may appear in
// a cleaned image.
const (
	OwnerName  = "Siti Rahasia Pelapor"
	OwnerPhone = "081298765432"
	Comment    = "dikirim-oleh-siti-rumah-jl-mawar-7"
	XMPCreator = "siti.rahasia@example.invalid"
	Device     = "PhoneMaker SuperCam 9"
)

// gpsMarker is the GPS latitude's seconds numerator, a value no encoder writes by chance.
const gpsMarker = 0x5EC12E7A

// Secrets are byte strings of which a cleaned image holds none: the identity,
// the metadata block signatures and the GPS rational.
func Secrets() [][]byte {
	gps := make([]byte, 4)
	binary.LittleEndian.PutUint32(gps, gpsMarker)
	return [][]byte{
		[]byte(OwnerName), []byte(OwnerPhone), []byte(Comment), []byte(XMPCreator), []byte(Device),
		[]byte("Exif\x00\x00"), []byte("http://ns.adobe.com/xap/1.0/"), []byte("x:xmpmeta"), []byte("Photoshop 3.0"),
		gps,
	}
}

// Fixture is one image with hidden identity. Its pixels are stored turned so
// that only applying its orientation shows the upright quadrants (see Upright).
type Fixture struct {
	Name string
	MIME string
	Data []byte
}

// The upright picture is 64 × 40: red top left, green top right, blue bottom left, white bottom right.
const (
	UprightW = 64
	UprightH = 40
)

func upright(x, y int) color.NRGBA {
	switch {
	case x < UprightW/2 && y < UprightH/2:
		return color.NRGBA{220, 20, 20, 255}
	case y < UprightH/2:
		return color.NRGBA{20, 200, 20, 255}
	case x < UprightW/2:
		return color.NRGBA{20, 20, 220, 255}
	}
	return color.NRGBA{255, 255, 255, 255}
}

// stored is the upright picture as a camera held sideways stores it: turned a
// quarter to the left, to be shown with EXIF orientation 6 (turn right).
func stored() *image.NRGBA { return storedVariant(0) }

// storedVariant is stored() with its white quarter tinted by n, so that
// variants are different images (the bot stores one copy of the same image).
func storedVariant(n int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, UprightH, UprightW))
	for y := 0; y < UprightW; y++ {
		for x := 0; x < UprightH; x++ {
			c := upright(UprightW-1-y, x)
			if c.R == 255 && c.G == 255 {
				c.B = uint8(255 - 4*(n%9))
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

// Variant is a JPEG (odd n) or PNG (even n) fixture of its own image, with all
// the metadata of Fixtures.
func Variant(t testing.TB, n int) Fixture {
	t.Helper()
	if n%2 == 1 {
		return Fixture{Name: fmt.Sprintf("jpeg-variant-%d", n), MIME: "image/jpeg", Data: JPEG(t, storedVariant(n))}
	}
	return Fixture{Name: fmt.Sprintf("png-variant-%d", n), MIME: "image/png", Data: PNG(t, storedVariant(n))}
}

//go:embed testdata/quadrants-turned.webp
var turnedWebP []byte // stored(), encoded by cwebp -q 95

// Fixtures returns a JPEG with EXIF (owner, device, GPS, orientation 6), XMP, an
// IPTC block and a comment; a PNG with tEXt, zTXt, iTXt and eXIf chunks; and a
// WebP with EXIF and XMP chunks. Each is stored turned, with orientation 6.
func Fixtures(t testing.TB) []Fixture {
	t.Helper()
	return []Fixture{
		{Name: "jpeg-exif-xmp-comment", MIME: "image/jpeg", Data: JPEG(t, stored())},
		{Name: "png-text-chunks", MIME: "image/png", Data: PNG(t, stored())},
		{Name: "webp-exif", MIME: "image/webp", Data: WebP()},
	}
}

// JPEG encodes m with every kind of metadata a phone or an editor writes.
func JPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatalf("mediatest: encode jpeg: %v", err)
	}
	body := enc.Bytes()[2:] // after SOI
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xD8})
	segment(&b, 0xE1, append([]byte("Exif\x00\x00"), exifTIFF(6)...))
	segment(&b, 0xE1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), xmp()...))
	segment(&b, 0xED, append([]byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x1a\x1c\x02\x50\x00\x14"), []byte(OwnerName)...))
	segment(&b, 0xFE, []byte(Comment))
	b.Write(body)
	// Some phones append more after the end of the image; it must go too.
	b.WriteString(Comment)
	return b.Bytes()
}

func segment(b *bytes.Buffer, marker byte, data []byte) {
	b.Write([]byte{0xFF, marker})
	_ = binary.Write(b, binary.BigEndian, uint16(len(data)+2))
	b.Write(data)
}

// PNG encodes m with text chunks (owner, comment, XMP) and an eXIf chunk.
func PNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var enc bytes.Buffer
	if err := png.Encode(&enc, m); err != nil {
		t.Fatalf("mediatest: encode png: %v", err)
	}
	data := enc.Bytes()
	ihdrEnd := 8 + 12 + 13 // signature, IHDR
	var b bytes.Buffer
	b.Write(data[:ihdrEnd])
	PNGChunk(&b, "eXIf", exifTIFF(6))
	PNGChunk(&b, "tEXt", []byte("Author\x00"+OwnerName))
	PNGChunk(&b, "tEXt", []byte("Comment\x00"+Comment))
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write([]byte(OwnerPhone)) // compressed text: the check decompresses nothing, so the chunk itself must go
	_ = zw.Close()
	PNGChunk(&b, "zTXt", append([]byte("Phone\x00\x00"), z.Bytes()...))
	PNGChunk(&b, "iTXt", append([]byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"), xmp()...))
	b.Write(data[ihdrEnd:])
	return b.Bytes()
}

// PNGChunk appends one PNG chunk (length, type, data, CRC) to b.
func PNGChunk(b *bytes.Buffer, typ string, data []byte) {
	_ = binary.Write(b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	_ = binary.Write(b, binary.BigEndian, crc.Sum32())
}

// WebP is the turned picture as an extended WebP with EXIF and XMP chunks.
func WebP() []byte {
	// turnedWebP is RIFF, size, WEBP, then one VP8 chunk.
	vp8 := turnedWebP[12:]
	var body bytes.Buffer
	body.WriteString("WEBP")
	x := make([]byte, 10)
	x[0] = 0x08 | 0x04 // EXIF and XMP present
	w, h := UprightH-1, UprightW-1
	x[4], x[5], x[6] = byte(w), byte(w>>8), byte(w>>16)
	x[7], x[8], x[9] = byte(h), byte(h>>8), byte(h>>16)
	riffChunk(&body, "VP8X", x)
	body.Write(vp8)
	riffChunk(&body, "EXIF", exifTIFF(6))
	riffChunk(&body, "XMP ", xmp())
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(body.Len()))
	b.Write(body.Bytes())
	return b.Bytes()
}

func riffChunk(b *bytes.Buffer, fourcc string, data []byte) {
	b.WriteString(fourcc)
	_ = binary.Write(b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	if len(data)%2 == 1 {
		b.WriteByte(0)
	}
}

func xmp() []byte {
	return []byte(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
		`<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"><dc:creator>` +
		XMPCreator + `</dc:creator><dc:rights>` + OwnerName + ` ` + OwnerPhone + `</dc:rights></rdf:Description></rdf:RDF></x:xmpmeta>`)
}

// exifTIFF is little-endian TIFF data: IFD0 with orientation, make/model,
// artist, copyright and a GPS IFD pointer; the GPS IFD with a position.
func exifTIFF(orientation uint16) []byte {
	type entry struct {
		tag, typ uint16
		count    uint32
		value    []byte // stored after the IFDs when longer than 4 bytes
	}
	ascii := func(s string) []byte { return append([]byte(s), 0) }
	u16 := func(v uint16) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint16(b, v); return b }
	u32 := func(v uint32) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint32(b, v); return b }
	rationals := func(vs ...uint32) []byte {
		var b []byte
		for i := 0; i+1 < len(vs); i += 2 {
			b = append(b, u32(vs[i])...)
			b = append(b, u32(vs[i+1])...)
		}
		return b
	}
	ifd0 := []entry{
		{0x010F, 2, uint32(len(Device) + 1), ascii(Device)},
		{0x0112, 3, 1, u16(orientation)},
		{0x013B, 2, uint32(len(OwnerName) + 1), ascii(OwnerName)},
		{0x8298, 2, uint32(len(OwnerPhone) + 1), ascii(OwnerPhone)},
		{0x8825, 4, 1, nil}, // GPS IFD offset, filled in below
	}
	gps := []entry{
		{0x0001, 2, 2, []byte("S\x00\x00\x00")},
		{0x0002, 5, 3, rationals(3, 1, 19, 1, gpsMarker, 1000000)},
		{0x0003, 2, 2, []byte("E\x00\x00\x00")},
		{0x0004, 5, 3, rationals(104, 1, 46, 1, gpsMarker, 1000000)},
	}
	ifdSize := func(n int) int { return 2 + 12*n + 4 }
	ifd0Off := 8
	gpsOff := ifd0Off + ifdSize(len(ifd0))
	dataOff := gpsOff + ifdSize(len(gps))
	var extra bytes.Buffer
	write := func(b *bytes.Buffer, es []entry) {
		_ = binary.Write(b, binary.LittleEndian, uint16(len(es)))
		for _, e := range es {
			_ = binary.Write(b, binary.LittleEndian, e.tag)
			_ = binary.Write(b, binary.LittleEndian, e.typ)
			_ = binary.Write(b, binary.LittleEndian, e.count)
			if len(e.value) <= 4 {
				v := make([]byte, 4)
				copy(v, e.value)
				b.Write(v)
				continue
			}
			_ = binary.Write(b, binary.LittleEndian, uint32(dataOff+extra.Len()))
			extra.Write(e.value)
			if extra.Len()%2 == 1 {
				extra.WriteByte(0)
			}
		}
		_ = binary.Write(b, binary.LittleEndian, uint32(0))
	}
	ifd0[4].value = u32(uint32(gpsOff))
	var b bytes.Buffer
	b.WriteString("II")
	_ = binary.Write(&b, binary.LittleEndian, uint16(42))
	_ = binary.Write(&b, binary.LittleEndian, uint32(ifd0Off))
	write(&b, ifd0)
	write(&b, gps)
	b.Write(extra.Bytes())
	return b.Bytes()
}

// AssertClean fails t when data (what a route served or a channel sent) holds
// any of the fixtures' hidden identity or any metadata block: a JPEG must hold
// only the segments an encoder needs, a PNG only image chunks. what names the
// route or channel in the failure.
func AssertClean(t testing.TB, what string, data []byte) {
	t.Helper()
	if len(data) == 0 {
		t.Errorf("%s: no image bytes", what)
		return
	}
	for _, s := range Secrets() {
		if bytes.Contains(data, s) {
			t.Errorf("%s: the image still holds %q", what, s)
		}
	}
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8}):
		if err := jpegMetadataFree(data); err != "" {
			t.Errorf("%s: %s", what, err)
		}
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		if err := pngMetadataFree(data); err != "" {
			t.Errorf("%s: %s", what, err)
		}
	default:
		t.Errorf("%s: served bytes are not a JPEG or PNG (starts % x)", what, data[:min(8, len(data))])
	}
}

// jpegMetadataFree walks the segments: no APPn, no COM, nothing after EOI.
func jpegMetadataFree(d []byte) string {
	i := 2
	for i+4 <= len(d) {
		if d[i] != 0xFF {
			return "jpeg: bytes outside a segment"
		}
		m := d[i+1]
		if (m >= 0xE0 && m <= 0xEF) || m == 0xFE {
			return "jpeg: holds an APPn or comment segment"
		}
		n := int(binary.BigEndian.Uint16(d[i+2:]))
		if m != 0xDA {
			i += 2 + n
			continue
		}
		// Entropy-coded data: find EOI (FF D9) not inside a stuffed FF 00 or a restart marker.
		for j := i + 2 + n; j+1 < len(d); j++ {
			if d[j] == 0xFF && d[j+1] == 0xD9 {
				if j+2 != len(d) {
					return "jpeg: bytes after the end of the image"
				}
				return ""
			}
		}
		return "jpeg: no end of image"
	}
	return "jpeg: truncated"
}

// pngMetadataFree walks the chunks: only IHDR, PLTE, tRNS, IDAT, IEND.
func pngMetadataFree(d []byte) string {
	i := 8
	for i+12 <= len(d) {
		n := int(binary.BigEndian.Uint32(d[i:]))
		typ := string(d[i+4 : i+8])
		switch typ {
		case "IHDR", "PLTE", "tRNS", "IDAT":
		case "IEND":
			if i+12 != len(d) {
				return "png: bytes after IEND"
			}
			return ""
		default:
			return "png: holds a " + typ + " chunk"
		}
		i += 12 + n
	}
	return "png: truncated"
}

// AssertUpright fails t unless data decodes to the fixtures' picture the right
// way up (any size: a preview is scaled): red top left, green top right, blue
// bottom left.
func AssertUpright(t testing.TB, what string, data []byte) {
	t.Helper()
	m, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Errorf("%s: does not decode: %v", what, err)
		return
	}
	b := m.Bounds()
	if b.Dx()*UprightH != b.Dy()*UprightW {
		t.Errorf("%s: %dx%d, want the upright %d:%d shape", what, b.Dx(), b.Dy(), UprightW, UprightH)
		return
	}
	at := func(fx, fy float64) color.NRGBA {
		return color.NRGBAModel.Convert(m.At(b.Min.X+int(fx*float64(b.Dx())), b.Min.Y+int(fy*float64(b.Dy())))).(color.NRGBA)
	}
	for _, c := range []struct {
		name   string
		fx, fy float64
		want   color.NRGBA
	}{
		{"top left", 0.25, 0.25, upright(16, 10)},
		{"top right", 0.75, 0.25, upright(48, 10)},
		{"bottom left", 0.25, 0.75, upright(16, 30)},
		{"bottom right", 0.75, 0.75, upright(48, 30)},
	} {
		if got := at(c.fx, c.fy); !near(got, c.want) {
			t.Errorf("%s: %s is %v, want about %v: the orientation was lost", what, c.name, got, c.want)
		}
	}
}

func near(a, b color.NRGBA) bool {
	d := func(x, y uint8) int {
		if x > y {
			return int(x - y)
		}
		return int(y - x)
	}
	return d(a.R, b.R) < 40 && d(a.G, b.G) < 40 && d(a.B, b.B) < 40
}
