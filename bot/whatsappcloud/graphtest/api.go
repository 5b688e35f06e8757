package graphtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// --- the Graph API side -----------------------------------------------------

var versionRE = regexp.MustCompile(`^/v\d+\.\d+/`)

// errorText is the title and details Meta gives an error code.
func errorText(code int) (title, details string) {
	switch code {
	case 190:
		return "Error validating access token: Session has expired", "The access token has expired."
	case 368:
		return "Temporarily blocked for policies violations", "The account is restricted."
	case 130429:
		return "Rate limit hit", "Cloud API message throughput has been reached."
	case 131056:
		return "(Business Account, Consumer Account) pair rate limit hit", "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."
	case 131047:
		return "Re-engagement message", "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
	case 131026:
		return "Message Undeliverable", "Unable to deliver message."
	case 131051:
		return "Unsupported message type", "Message type is not currently supported."
	case 131000:
		return "Something went wrong", "Something went wrong."
	case 132000:
		return "Number of parameters does not match the expected number of params", "The number of variable parameter values does not match."
	case 132001:
		return "Template does not exist", "The template does not exist in the specified language or the template has not been approved."
	case 132005:
		return "Translated text too long", "Translated text is too long."
	case 132018:
		return "Template parameter format mismatch", "A parameter contains new lines, tabs or more than 4 consecutive spaces."
	case 131008:
		return "Required parameter is missing", "A required parameter is missing."
	case 131009:
		return "Parameter value is not valid", "A parameter value is not valid."
	case 100:
		return "Invalid parameter", "Invalid parameter."
	}
	return "Error", ""
}

type apiError struct {
	http int
	code int
	msg  string
}

func errorResponse(w http.ResponseWriter, e apiError) {
	title, details := errorText(e.code)
	if e.msg != "" {
		details = e.msg
	}
	status := e.http
	if status == 0 {
		status = http.StatusBadRequest
		if e.code == 190 {
			status = http.StatusUnauthorized
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": fmt.Sprintf("(#%d) %s", e.code, title), "type": "OAuthException", "code": e.code,
		"error_data": map[string]any{"messaging_product": "whatsapp", "details": details}, "fbtrace_id": "AFakeTrace",
	}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() {
		s.mu.Lock()
		s.stats.Requests++
		s.stats.HandlerTime += time.Since(start)
		s.mu.Unlock()
	}()
	if tok, ok := strings.CutPrefix(r.URL.Path, "/download/"); ok {
		s.serveDownload(w, r, tok)
		return
	}
	loc := versionRE.FindStringIndex(r.URL.Path)
	if loc == nil {
		errorResponse(w, apiError{http: http.StatusNotFound, code: 100, msg: "unknown path " + r.URL.Path})
		return
	}
	path := r.URL.Path[loc[1]:]
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	req := Request{Method: r.Method, Path: path, Body: body, At: time.Now(), Kind: "other"}
	switch {
	case r.Method == http.MethodPost && path == s.PhoneNumberID+"/messages":
		req.Kind = "send"
		var probe struct {
			Type, To, Recipient, Status string
		}
		_ = json.Unmarshal(body, &probe)
		req.Type, req.To = probe.Type, probe.To
		if req.To == "" {
			req.To = probe.Recipient
		}
		if probe.Status == "read" {
			req.Kind = "read"
		}
	case r.Method == http.MethodPost && path == s.PhoneNumberID+"/media":
		req.Kind = "upload"
	case r.Method == http.MethodGet && path == s.PhoneNumberID:
		req.Kind = "phone"
	case r.Method == http.MethodGet:
		req.Kind = "media"
	}
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		s.record(req, http.StatusUnauthorized, 190)
		errorResponse(w, apiError{code: 190, msg: "Invalid OAuth access token."})
		return
	}
	s.mu.Lock()
	faults, tokenBad, restricted := s.faults, s.tokenBad, s.restricted
	s.mu.Unlock()
	if tokenBad {
		s.record(req, http.StatusUnauthorized, 190)
		errorResponse(w, apiError{code: 190})
		return
	}
	if restricted && req.Kind == "send" {
		s.record(req, http.StatusBadRequest, 368)
		errorResponse(w, apiError{code: 368})
		return
	}
	var f *Fault
	if faults != nil {
		f = faults(req)
	}
	if f != nil {
		req.Fault = f
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
			case <-s.ctx.Done():
			}
		}
		switch {
		case f.Drop:
			s.record(req, 0, 0)
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case f.Code != 0 && !f.Async:
			s.record(req, cmpInt(f.HTTPStatus, http.StatusBadRequest), f.Code)
			errorResponse(w, apiError{http: f.HTTPStatus, code: f.Code})
			return
		case f.HTTPStatus >= 500:
			s.record(req, f.HTTPStatus, 0)
			w.WriteHeader(f.HTTPStatus)
			_, _ = io.WriteString(w, "upstream error")
			return
		}
		req.At = time.Now()
	}
	switch req.Kind {
	case "send":
		s.serveSend(w, req, f)
	case "read":
		s.serveRead(w, req)
	case "upload":
		s.serveUpload(w, r, req, body)
	case "phone":
		s.record(req, http.StatusOK, 0)
		writeJSON(w, map[string]any{"display_phone_number": DefaultDisplayPhone, "verified_name": "Pemerintah Kabupaten Ogan Komering Ilir",
			"quality_rating": "GREEN", "id": s.PhoneNumberID})
	case "media":
		s.serveMedia(w, req, path)
	default:
		s.record(req, http.StatusNotFound, 100)
		errorResponse(w, apiError{http: http.StatusNotFound, code: 100, msg: "unsupported request " + r.Method + " " + path})
	}
}

func cmpInt(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func (s *Server) record(req Request, status, code int) {
	req.Status, req.Code = status, code
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
}

// sendRequest is the body of POST /{phone-number-id}/messages.
type sendRequest struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type"`
	To               string `json:"to"`
	Recipient        string `json:"recipient"`
	Type             string `json:"type"`
	Status           string `json:"status"`
	MessageID        string `json:"message_id"`
	TypingIndicator  *struct {
		Type string `json:"type"`
	} `json:"typing_indicator"`
	BizOpaque string `json:"biz_opaque_callback_data"`
	Context   *struct {
		MessageID string `json:"message_id"`
	} `json:"context"`
	Text *struct {
		Body       string `json:"body"`
		PreviewURL bool   `json:"preview_url"`
	} `json:"text"`
	Image *struct {
		ID      string `json:"id"`
		Link    string `json:"link"`
		Caption string `json:"caption"`
	} `json:"image"`
	Location *struct {
		Latitude  *float64 `json:"latitude"`
		Longitude *float64 `json:"longitude"`
	} `json:"location"`
	Interactive *struct {
		Type   string `json:"type"`
		Header *struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"header"`
		Body *struct {
			Text string `json:"text"`
		} `json:"body"`
		Footer *struct {
			Text string `json:"text"`
		} `json:"footer"`
		Action *struct {
			Name    string `json:"name"`
			Button  string `json:"button"`
			Buttons []struct {
				Type  string `json:"type"`
				Reply struct {
					ID    string `json:"id"`
					Title string `json:"title"`
				} `json:"reply"`
			} `json:"buttons"`
			Sections []struct {
				Title string `json:"title"`
				Rows  []Row  `json:"rows"`
			} `json:"sections"`
		} `json:"action"`
	} `json:"interactive"`
	Template *struct {
		Name     string `json:"name"`
		Language struct {
			Code string `json:"code"`
		} `json:"language"`
		Components []struct {
			Type       string `json:"type"`
			SubType    string `json:"sub_type"`
			Index      string `json:"index"`
			Parameters []struct {
				Type    string `json:"type"`
				Text    string `json:"text"`
				Payload string `json:"payload"`
			} `json:"parameters"`
		} `json:"components"`
	} `json:"template"`
}

// UnmarshalJSON reads a list row, which has lowercase keys.
func (r *Row) UnmarshalJSON(b []byte) error {
	var v struct {
		ID          string `json:"id"`
		Title       string `json:"title"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Row{ID: v.ID, Title: v.Title, Description: v.Description}
	return nil
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// serveSend checks a send against the Cloud API's rules and, when it passes,
// accepts it, keeps the message and reports its statuses.
func (s *Server) serveSend(w http.ResponseWriter, req Request, f *Fault) {
	var sr sendRequest
	if err := json.Unmarshal(req.Body, &sr); err != nil {
		s.refuse(w, req, apiError{code: 100, msg: "the body is not JSON: " + err.Error()})
		return
	}
	m, bad := s.checkSend(&sr)
	if bad != nil {
		s.refuse(w, req, *bad)
		return
	}
	now := time.Now()
	s.mu.Lock()
	key := m.To
	u, known := s.users[key]
	if !known {
		s.violate("a message to %s, who is not a WhatsApp user the fake knows (a number that never wrote)", key)
		s.mu.Unlock()
		s.record(req, http.StatusBadRequest, 131026)
		errorResponse(w, apiError{code: 131026})
		return
	}
	key = u.Key()
	m.To = key
	if v := s.rateLocked(now, key, true); v != "" {
		s.violate("%s", v)
		code := 130429
		if strings.HasPrefix(v, "pair") {
			code = 131056
		}
		s.mu.Unlock()
		s.record(req, http.StatusBadRequest, code)
		errorResponse(w, apiError{code: code})
		return
	}
	last, wrote := s.lastInbound[key]
	window := wrote && s.opts.Now().Sub(last) < 24*time.Hour
	m.ID = s.nextID("wamid.OUT")
	m.At = now
	m.Callback = sr.BizOpaque
	var fail int
	switch {
	case !wrote:
		s.violate("a first message (%s) to %s, who never wrote to the bot", m.Type, key)
		fail = 131047
	case m.Type != "template" && !window:
		s.violate("a free-form %s message to %s outside the 24-hour window (last message %s ago)", m.Type, key, s.opts.Now().Sub(last).Round(time.Minute))
		fail = 131047
	case f != nil && f.Async && f.Code != 0:
		fail = f.Code
	case s.blocked[key]:
		fail = 131026
	}
	cp := m
	s.byID[m.ID] = &cp
	if fail == 0 {
		s.msgs[key] = append(s.msgs[key], &cp)
		s.statusLocked(&cp, "sent")
		s.statusLocked(&cp, "delivered")
	} else {
		s.statusLocked(&cp, "failed", errorObject(fail))
	}
	s.notifyLocked()
	s.mu.Unlock()
	s.record(req, http.StatusOK, 0)
	contact := map[string]any{"input": key}
	if u.Phone != "" && sr.To != "" {
		contact["wa_id"] = u.Phone
	} else {
		contact["user_id"] = u.UserID
	}
	writeJSON(w, map[string]any{"messaging_product": "whatsapp", "contacts": []any{contact},
		"messages": []any{map[string]any{"id": m.ID}}})
}

// refuse answers an invalid request and records it as a broken rule.
func (s *Server) refuse(w http.ResponseWriter, req Request, e apiError) {
	s.mu.Lock()
	s.violate("an invalid %s request (error %d): %s; body %s", req.Kind, e.code, e.msg, truncate(string(req.Body), 400))
	s.mu.Unlock()
	s.record(req, cmpInt(e.http, http.StatusBadRequest), e.code)
	errorResponse(w, e)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func bad(code int, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

// checkSend validates a send and builds the message the person would see.
func (s *Server) checkSend(sr *sendRequest) (Message, *apiError) {
	var m Message
	if sr.MessagingProduct != "whatsapp" {
		return m, bad(100, "messaging_product must be whatsapp")
	}
	m.To = sr.To
	if m.To == "" {
		m.To = sr.Recipient
	}
	if m.To == "" {
		return m, bad(131008, "to or recipient is required")
	}
	m.Type = sr.Type
	switch sr.Type {
	case "text":
		if sr.Text == nil || strings.TrimSpace(sr.Text.Body) == "" {
			return m, bad(131008, "text.body is required")
		}
		if runes(sr.Text.Body) > 4096 {
			return m, bad(100, "text.body has %d characters, at most 4096", runes(sr.Text.Body))
		}
		m.Text = sr.Text.Body
	case "image":
		if sr.Image == nil || (sr.Image.ID == "" && sr.Image.Link == "") {
			return m, bad(131008, "image.id or image.link is required")
		}
		if runes(sr.Image.Caption) > 1024 {
			return m, bad(100, "image.caption has %d characters, at most 1024", runes(sr.Image.Caption))
		}
		s.mu.Lock()
		mf, ok := s.media[sr.Image.ID]
		s.mu.Unlock()
		if sr.Image.ID != "" && !ok {
			return m, bad(131053, "unknown media id %s", sr.Image.ID)
		}
		if ok {
			m.Photo = mf.data
		}
		m.Text = sr.Image.Caption
	case "location":
		if sr.Location == nil || sr.Location.Latitude == nil || sr.Location.Longitude == nil {
			return m, bad(131008, "location.latitude and location.longitude are required")
		}
		m.Lat, m.Lng = *sr.Location.Latitude, *sr.Location.Longitude
		if m.Lat < -90 || m.Lat > 90 || m.Lng < -180 || m.Lng > 180 {
			return m, bad(131009, "location out of range")
		}
	case "interactive":
		return m, s.checkInteractive(sr, &m)
	case "template":
		return m, s.checkTemplate(sr, &m)
	default:
		return m, bad(131051, "message type %q", sr.Type)
	}
	return m, nil
}

func (s *Server) checkInteractive(sr *sendRequest, m *Message) *apiError {
	in := sr.Interactive
	if in == nil {
		return bad(131008, "interactive is required")
	}
	m.Interactive = in.Type
	if in.Header != nil && runes(in.Header.Text) > 60 {
		return bad(131009, "interactive.header.text has %d characters, at most 60", runes(in.Header.Text))
	}
	if in.Footer != nil && runes(in.Footer.Text) > 60 {
		return bad(131009, "interactive.footer.text has %d characters, at most 60", runes(in.Footer.Text))
	}
	if in.Body == nil || strings.TrimSpace(in.Body.Text) == "" {
		return bad(131008, "interactive.body.text is required")
	}
	if runes(in.Body.Text) > 1024 {
		return bad(131009, "interactive.body.text has %d characters, at most 1024", runes(in.Body.Text))
	}
	m.Text = in.Body.Text
	if in.Action == nil {
		return bad(131008, "interactive.action is required")
	}
	switch in.Type {
	case "button":
		n := len(in.Action.Buttons)
		if n < 1 || n > 3 {
			return bad(131009, "%d reply buttons, 1 to 3 allowed", n)
		}
		ids, titles := map[string]bool{}, map[string]bool{}
		for _, b := range in.Action.Buttons {
			t, id := b.Reply.Title, b.Reply.ID
			switch {
			case b.Type != "reply":
				return bad(131009, "button type %q", b.Type)
			case strings.TrimSpace(t) == "" || runes(t) > 20:
				return bad(131009, "button title %q has %d characters, 1 to 20 allowed", t, runes(t))
			case id == "" || runes(id) > 256:
				return bad(131009, "button id %q: 1 to 256 characters", id)
			case ids[id] || titles[t]:
				return bad(131009, "button ids and titles must be unique (%q)", t)
			}
			ids[id], titles[t] = true, true
			m.Buttons = append(m.Buttons, t)
			m.ButtonIDs = append(m.ButtonIDs, id)
		}
	case "list":
		b := in.Action.Button
		if strings.TrimSpace(b) == "" || runes(b) > 20 {
			return bad(131009, "list button %q has %d characters, 1 to 20 allowed", b, runes(b))
		}
		m.ListButton = b
		secs := in.Action.Sections
		if len(secs) < 1 || len(secs) > 10 {
			return bad(131009, "%d sections, 1 to 10 allowed", len(secs))
		}
		ids := map[string]bool{}
		for _, sec := range secs {
			if len(secs) > 1 && strings.TrimSpace(sec.Title) == "" {
				return bad(131009, "a list with several sections needs section titles")
			}
			if runes(sec.Title) > 24 {
				return bad(131009, "section title %q over 24 characters", sec.Title)
			}
			for _, r := range sec.Rows {
				switch {
				case strings.TrimSpace(r.Title) == "" || runes(r.Title) > 24:
					return bad(131009, "row title %q has %d characters, 1 to 24 allowed", r.Title, runes(r.Title))
				case runes(r.Description) > 72:
					return bad(131009, "row description %q has %d characters, at most 72", r.Description, runes(r.Description))
				case r.ID == "" || runes(r.ID) > 200:
					return bad(131009, "row id %q: 1 to 200 characters", r.ID)
				case ids[r.ID]:
					return bad(131009, "row ids must be unique (%q)", r.ID)
				}
				ids[r.ID] = true
				m.Rows = append(m.Rows, r)
			}
		}
		if len(m.Rows) < 1 || len(m.Rows) > 10 {
			return bad(131009, "%d list rows, 1 to 10 allowed", len(m.Rows))
		}
	case "location_request_message":
		if in.Action.Name != "send_location" {
			return bad(131009, "a location request's action.name must be send_location")
		}
	default:
		return bad(131009, "interactive type %q", in.Type)
	}
	return nil
}

var spacesRE = regexp.MustCompile(` {5,}`)

func (s *Server) checkTemplate(sr *sendRequest, m *Message) *apiError {
	t := sr.Template
	if t == nil || t.Name == "" {
		return bad(131008, "template.name is required")
	}
	var tpl *Template
	for i := range s.opts.Templates {
		if s.opts.Templates[i].Name == t.Name && s.opts.Templates[i].Language == t.Language.Code {
			tpl = &s.opts.Templates[i]
		}
	}
	if tpl == nil {
		return bad(132001, "template %s (%s) is not approved", t.Name, t.Language.Code)
	}
	m.Template = t.Name
	m.Buttons = append([]string(nil), tpl.Buttons...)
	m.ButtonIDs = make([]string, len(tpl.Buttons))
	want := 0
	for _, g := range regexp.MustCompile(`\{\{(\d+)\}\}`).FindAllStringSubmatch(tpl.Body, -1) {
		if n, _ := strconv.Atoi(g[1]); n > want {
			want = n
		}
	}
	for _, c := range t.Components {
		switch c.Type {
		case "body":
			for _, p := range c.Parameters {
				switch {
				case p.Type != "text":
					return bad(132012, "body parameter of type %q", p.Type)
				case strings.TrimSpace(p.Text) == "":
					return bad(131008, "an empty body parameter")
				case strings.ContainsAny(p.Text, "\n\t") || spacesRE.MatchString(p.Text):
					return bad(132018, "parameter %q has a new line, a tab or more than 4 spaces in a row", p.Text)
				}
				m.Params = append(m.Params, p.Text)
			}
		case "button":
			i, err := strconv.Atoi(c.Index)
			if c.SubType != "quick_reply" || err != nil || i < 0 || i >= len(tpl.Buttons) {
				return bad(131009, "button component %s/%s does not match the template's quick replies", c.SubType, c.Index)
			}
			if len(c.Parameters) != 1 || c.Parameters[0].Type != "payload" || runes(c.Parameters[0].Payload) > 1000 {
				return bad(131009, "a quick reply takes one payload parameter of at most 1000 characters")
			}
			m.ButtonIDs[i] = c.Parameters[0].Payload
		default:
			return bad(131009, "component %q", c.Type)
		}
	}
	if len(m.Params) != want {
		return bad(132000, "template %s takes %d parameters, got %d", t.Name, want, len(m.Params))
	}
	m.Text = regexp.MustCompile(`\{\{(\d+)\}\}`).ReplaceAllStringFunc(tpl.Body, func(g string) string {
		n, _ := strconv.Atoi(g[2 : len(g)-2])
		return m.Params[n-1]
	})
	if runes(m.Text) > 1024 {
		return bad(132005, "the template's body with its parameters has %d characters, at most 1024", runes(m.Text))
	}
	return nil
}

// rateLocked checks and counts one request against the number's rate and, for
// a send, the pair rate of its recipient.
func (s *Server) rateLocked(now time.Time, key string, pair bool) string {
	l := s.opts.Limits
	cutoff := now.Add(-time.Second + l.Slack)
	kept := s.window[:0]
	for _, t := range s.window {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	s.window = kept
	if l.PerSecond > 0 && float64(len(s.window)+1) > l.PerSecond {
		return fmt.Sprintf("%d requests within one second (limit %.0f/s)", len(s.window)+1, l.PerSecond)
	}
	if pair && l.PairGap > 0 {
		burst := max(l.PairBurst, 1)
		tat := s.pairTAT[key]
		if now.Before(tat.Add(-time.Duration(burst-1)*l.PairGap - l.Slack)) {
			return fmt.Sprintf("pair rate: more than %d messages to %s in a burst at one per %s", burst, key, l.PairGap)
		}
		if tat.Before(now) {
			tat = now
		}
		s.pairTAT[key] = tat.Add(l.PairGap)
	}
	s.window = append(s.window, now)
	return ""
}

// serveRead marks an inbound message read (with a typing indicator).
func (s *Server) serveRead(w http.ResponseWriter, req Request) {
	var sr sendRequest
	if err := json.Unmarshal(req.Body, &sr); err != nil || sr.MessagingProduct != "whatsapp" || sr.MessageID == "" {
		s.refuse(w, req, apiError{code: 100, msg: "a read receipt needs messaging_product and message_id"})
		return
	}
	s.mu.Lock()
	_, known := s.inbound[sr.MessageID]
	if sr.TypingIndicator != nil && sr.TypingIndicator.Type != "text" {
		s.mu.Unlock()
		s.refuse(w, req, apiError{code: 131009, msg: "typing_indicator.type must be text"})
		return
	}
	if !known {
		s.mu.Unlock()
		s.refuse(w, req, apiError{code: 100, msg: "unknown message " + sr.MessageID})
		return
	}
	if v := s.rateLocked(time.Now(), "", false); v != "" {
		s.violate("%s", v)
		s.mu.Unlock()
		s.record(req, http.StatusBadRequest, 130429)
		errorResponse(w, apiError{code: 130429})
		return
	}
	s.reads = append(s.reads, sr.MessageID)
	if sr.TypingIndicator != nil {
		s.typing++
	}
	s.notifyLocked()
	s.mu.Unlock()
	s.record(req, http.StatusOK, 0)
	writeJSON(w, map[string]any{"success": true})
}

// serveUpload takes a photo for a later send.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request, req Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := r.ParseMultipartForm(64 << 20); err != nil {
		s.refuse(w, req, apiError{code: 100, msg: "media upload is not multipart: " + err.Error()})
		return
	}
	if r.FormValue("messaging_product") != "whatsapp" {
		s.refuse(w, req, apiError{code: 100, msg: "media upload needs messaging_product=whatsapp"})
		return
	}
	f, fh, err := r.FormFile("file")
	if err != nil {
		s.refuse(w, req, apiError{code: 131008, msg: "media upload needs a file"})
		return
	}
	data, _ := io.ReadAll(f)
	_ = f.Close()
	mime := r.FormValue("type")
	if mime == "" {
		mime = fh.Header.Get("Content-Type")
	}
	if mime != "image/jpeg" && mime != "image/png" {
		s.refuse(w, req, apiError{code: 131053, msg: "images must be image/jpeg or image/png, got " + mime})
		return
	}
	if len(data) > 5<<20 {
		s.refuse(w, req, apiError{code: 131052, msg: "images are at most 5 MB"})
		return
	}
	id := s.addMedia(data, mime)
	s.record(req, http.StatusOK, 0)
	writeJSON(w, map[string]any{"id": id})
}

// serveMedia answers GET /{media-id} with a download URL that works for MediaURLTTL.
func (s *Server) serveMedia(w http.ResponseWriter, req Request, id string) {
	s.mu.Lock()
	mf, ok := s.media[id]
	var tok string
	if ok {
		tok = s.nextID("dl")
		s.downloads[tok] = id
		mf.expires = s.opts.Now().Add(s.opts.MediaURLTTL)
	}
	s.mu.Unlock()
	if !ok {
		s.record(req, http.StatusBadRequest, 100)
		errorResponse(w, apiError{code: 100, msg: "Unsupported get request. Object with ID '" + id + "' does not exist"})
		return
	}
	sum := sha256.Sum256(mf.data)
	s.record(req, http.StatusOK, 0)
	writeJSON(w, map[string]any{"messaging_product": "whatsapp", "url": s.URL + "/download/" + tok + "?ext=1&hash=x",
		"mime_type": mf.mime, "sha256": hex.EncodeToString(sum[:]), "file_size": len(mf.data), "id": id})
}

// serveDownload serves inbound media to a request with the bearer token.
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request, tok string) {
	req := Request{Method: r.Method, Path: "download", Kind: "download", At: time.Now()}
	s.mu.Lock()
	id, ok := s.downloads[tok]
	mf := s.media[id]
	expired := ok && mf != nil && s.opts.Now().After(mf.expires)
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		s.violate("a media download without the access token")
		s.mu.Unlock()
		s.record(req, http.StatusUnauthorized, 0)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	s.mu.Unlock()
	if !ok || mf == nil || expired {
		s.record(req, http.StatusNotFound, 0)
		http.Error(w, "URL signature expired", http.StatusNotFound)
		return
	}
	s.mu.Lock()
	faults := s.faults
	s.mu.Unlock()
	if faults != nil {
		if f := faults(req); f != nil && f.HTTPStatus >= 500 {
			s.record(req, f.HTTPStatus, 0)
			http.Error(w, "upstream", f.HTTPStatus)
			return
		}
	}
	s.record(req, http.StatusOK, 0)
	w.Header().Set("Content-Type", mf.mime)
	_, _ = w.Write(mf.data)
}
