package console_test

import (
	"bytes"
	"mime/multipart"
	"strconv"
)

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }

// newMultipart writes a multipart form with fields and one file into body and returns its content type.
func newMultipart(body *bytes.Buffer, fields map[string]string, fileField, fileName string, data []byte) string {
	w := multipart.NewWriter(body)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile(fileField, fileName)
	_, _ = fw.Write(data)
	_ = w.Close()
	return w.FormDataContentType()
}
