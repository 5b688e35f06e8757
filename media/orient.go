package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/draw"
)

// Orientation reads the EXIF orientation (1..8) of a JPEG (APP1), PNG (eXIf)
// or WebP (EXIF chunk); 1, "as stored", when there is none or it is unreadable.
func Orientation(data []byte) int {
	var tiff []byte
	switch {
	case len(data) > 4 && data[0] == 0xFF && data[1] == 0xD8:
		tiff = jpegExif(data)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		tiff = pngExif(data)
	case len(data) > 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		tiff = webpExif(data)
	}
	return tiffOrientation(bytes.TrimPrefix(tiff, []byte("Exif\x00\x00")))
}

// jpegExif returns the TIFF data of a JPEG's first Exif APP1 segment.
func jpegExif(data []byte) []byte {
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return nil
		}
		m := data[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0x01 || (m >= 0xD0 && m <= 0xD8):
			i += 2
			continue
		case m == 0xDA || m == 0xD9: // image data follows: no more headers
			return nil
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return nil
		}
		seg := data[i+4 : i+2+n]
		if m == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg
		}
		i += 2 + n
	}
	return nil
}

// pngExif returns the contents of a PNG's eXIf chunk.
func pngExif(data []byte) []byte {
	i := 8
	for i+12 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if n < 0 || n > len(data)-i-12 {
			return nil
		}
		if typ == "eXIf" {
			return data[i+8 : i+8+n]
		}
		if typ == "IEND" {
			return nil
		}
		i += 12 + n
	}
	return nil
}

// webpExif returns the contents of a WebP file's EXIF chunk.
func webpExif(data []byte) []byte {
	i := 12
	for i+8 <= len(data) {
		n := int(binary.LittleEndian.Uint32(data[i+4:]))
		if n < 0 || n > len(data)-i-8 {
			return nil
		}
		if string(data[i:i+4]) == "EXIF" {
			return data[i+8 : i+8+n]
		}
		i += 8 + n + n%2
	}
	return nil
}

// tiffOrientation reads tag 0x0112 from the first IFD of TIFF-structured EXIF data.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	off := int64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > int64(len(t)) {
		return 1
	}
	n := int64(bo.Uint16(t[off:]))
	for k := int64(0); k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > int64(len(t)) {
			return 1
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		var v int
		switch bo.Uint16(t[e+2:]) {
		case 3: // SHORT
			v = int(bo.Uint16(t[e+8:]))
		case 4: // LONG, written by a few tools
			v = int(bo.Uint32(t[e+8:]))
		}
		if v >= 1 && v <= 8 {
			return v
		}
		return 1
	}
	return 1
}

// Orient returns img turned and mirrored as EXIF orientation o asks, so that it
// shows upright without the tag. YCbCr (JPEG, WebP) and gray images keep their
// type and chroma subsampling where it can be turned (4:2:0, 4:2:2, 4:4:0,
// 4:4:4); anything else becomes NRGBA.
func Orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	switch src := img.(type) {
	case *image.YCbCr:
		if ratio, ok := turnedRatio(src.SubsampleRatio, o >= 5); ok && b.Min == (image.Point{}) {
			dst := image.NewYCbCr(image.Rect(0, 0, dw, dh), ratio)
			turnPlane(dst.Y, dst.YStride, src.Y, src.YStride, w, h, 1, o)
			cw, ch := chromaSize(src)
			turnPlane(dst.Cb, dst.CStride, src.Cb, src.CStride, cw, ch, 1, o)
			turnPlane(dst.Cr, dst.CStride, src.Cr, src.CStride, cw, ch, 1, o)
			return dst
		}
	case *image.Gray:
		if b.Min == (image.Point{}) {
			dst := image.NewGray(image.Rect(0, 0, dw, dh))
			turnPlane(dst.Pix, dst.Stride, src.Pix, src.Stride, w, h, 1, o)
			return dst
		}
	}
	n, ok := img.(*image.NRGBA)
	if !ok || b.Min != (image.Point{}) {
		n = image.NewNRGBA(image.Rect(0, 0, w, h))
		draw.Draw(n, n.Bounds(), img, b.Min, draw.Src)
	}
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	turnPlane(dst.Pix, dst.Stride, n.Pix, n.Stride, w, h, 4, o)
	return dst
}

// turnedRatio is the chroma subsampling after turning; transposing swaps the axes.
func turnedRatio(r image.YCbCrSubsampleRatio, transpose bool) (image.YCbCrSubsampleRatio, bool) {
	switch r {
	case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio420:
		return r, true
	case image.YCbCrSubsampleRatio422:
		if transpose {
			return image.YCbCrSubsampleRatio440, true
		}
		return r, true
	case image.YCbCrSubsampleRatio440:
		if transpose {
			return image.YCbCrSubsampleRatio422, true
		}
		return r, true
	}
	return r, false
}

// chromaSize is the size of a YCbCr image's Cb and Cr planes.
func chromaSize(m *image.YCbCr) (int, int) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	}
	return w, h
}

// turnPlane writes into dst the w × h plane src (bpp bytes a pixel) turned by
// orientation o: each destination pixel (x, y) takes the source pixel that
// orientation o stored there.
func turnPlane(dst []byte, dstStride int, src []byte, srcStride, w, h, bpp, o int) {
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	for y := 0; y < dh; y++ {
		row := dst[y*dstStride : y*dstStride+dw*bpp]
		for x := 0; x < dw; x++ {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, h-1-x
			case 7:
				sx, sy = w-1-y, h-1-x
			case 8:
				sx, sy = w-1-y, x
			}
			si := sy*srcStride + sx*bpp
			copy(row[x*bpp:x*bpp+bpp], src[si:si+bpp])
		}
	}
}
