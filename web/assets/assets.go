// Package assets serves a directory of files embedded in the binary under
// content-hashed URLs: browsers cache a versioned URL for a year and revalidate
// an unversioned one, and text files go out gzipped when the browser accepts it.
// The web chat and the console both use it.
package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Set is the files of one directory, read and compressed once.
type Set struct {
	prefix string
	files  map[string]*file
}

type file struct {
	body, gz    []byte
	contentType string
	hash        string
}

// New reads every file of dir in fsys (an embedded file system: a read error is a
// build mistake, so it panics). URLs are prefix + "/" + name.
func New(fsys fs.FS, dir, prefix string) *Set {
	s := &Set{prefix: prefix, files: map[string]*file{}}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		if ct == "" {
			ct = "application/octet-stream"
		}
		s.files[e.Name()] = &file{body: body, gz: gz.Bytes(), contentType: ct, hash: hex.EncodeToString(sum[:6])}
	}
	return s
}

// URL is a file's address with its content hash, so browsers may cache it for long.
func (s *Set) URL(name string) string {
	f := s.files[name]
	if f == nil {
		return s.prefix + "/" + name
	}
	return s.prefix + "/" + name + "?v=" + f.hash
}

// Handler serves the file named by the route's {file} value, gzipped when the browser accepts it.
func (s *Set) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := s.files[r.PathValue("file")]
		if f == nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		body, etag := f.body, `"`+f.hash+`"`
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body, etag = f.gz, `"`+f.hash+`-gz"`
		}
		h.Set("ETag", etag)
		h.Set("Vary", "Accept-Encoding")
		if r.URL.Query().Get("v") == f.hash {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		if r.Header.Get("If-None-Match") == etag {
			h.Del("Content-Encoding")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", f.contentType)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "q") {
				if q, err := strconv.ParseFloat(v, 64); err == nil && q == 0 {
					return false
				}
			}
		}
		return true
	}
	return false
}
