package graphtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// --- the people's side ------------------------------------------------------

// SendText delivers a text message from the user (a phone number or a BSUID)
// to the bot and returns its wamid.
func (s *Server) SendText(key, text string) string {
	return s.sendFrom(key, "text", map[string]any{"body": text}, "")
}

// MarkWrote records that the user wrote now without delivering anything, for
// a test that puts the person's message in the bot's database itself.
func (s *Server) MarkWrote(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userFor(key)
	s.lastInbound[u.Key()] = s.opts.Now()
}

// SendReply delivers a text that quotes one of the bot's messages (context.id).
func (s *Server) SendReply(key, quotedID, text string) string {
	return s.sendFrom(key, "text", map[string]any{"body": text}, quotedID)
}

// ShareLocation delivers a shared location.
func (s *Server) ShareLocation(key string, lat, lng float64, name, address string) string {
	loc := map[string]any{"latitude": lat, "longitude": lng}
	if name != "" {
		loc["name"] = name
	}
	if address != "" {
		loc["address"] = address
	}
	return s.sendFrom(key, "location", loc, "")
}

// SendPhoto delivers a photo; the bot fetches it with GET /{media-id} and the
// returned URL, which works for MediaURLTTL.
func (s *Server) SendPhoto(key string, data []byte, mime, caption string) string {
	id := s.addMedia(data, mime)
	sum := sha256.Sum256(data)
	img := map[string]any{"id": id, "mime_type": mime, "sha256": hex.EncodeToString(sum[:])}
	if caption != "" {
		img["caption"] = caption
	}
	return s.sendFrom(key, "image", img, "")
}

// SendDocumentPhoto delivers a photo sent "as a document" (a file of type image/*).
func (s *Server) SendDocumentPhoto(key string, data []byte, mime string) string {
	id := s.addMedia(data, mime)
	return s.sendFrom(key, "document", map[string]any{"id": id, "mime_type": mime, "filename": "foto.jpg"}, "")
}

func (s *Server) addMedia(data []byte, mime string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID("10000")
	s.media[id] = &mediaFile{data: append([]byte(nil), data...), mime: mime}
	return id
}

// RemoveMedia makes a media id unknown, as for media older than 30 days.
func (s *Server) RemoveMedia(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.media, id)
}

// SendKind delivers a message of a kind the bot does not read: audio (a voice
// note), video, document, sticker, contacts, reaction (to the bot's last
// message), unsupported, or system.
func (s *Server) SendKind(key, kind string) string {
	switch kind {
	case "audio":
		return s.sendFrom(key, "audio", map[string]any{"id": s.addMedia([]byte("OggS"), "audio/ogg"), "mime_type": "audio/ogg; codecs=opus", "voice": true}, "")
	case "video":
		return s.sendFrom(key, "video", map[string]any{"id": s.addMedia([]byte("mp4"), "video/mp4"), "mime_type": "video/mp4"}, "")
	case "document":
		return s.sendFrom(key, "document", map[string]any{"id": s.addMedia([]byte("%PDF"), "application/pdf"), "mime_type": "application/pdf", "filename": "surat.pdf"}, "")
	case "sticker":
		return s.sendFrom(key, "sticker", map[string]any{"id": s.addMedia([]byte("RIFF"), "image/webp"), "mime_type": "image/webp", "animated": false}, "")
	case "contacts":
		return s.sendFrom(key, "contacts", []any{map[string]any{"name": map[string]any{"formatted_name": "Budi"}, "phones": []any{map[string]any{"phone": "+62 812"}}}}, "")
	case "reaction":
		ms := s.Messages(key)
		target := ""
		if len(ms) > 0 {
			target = ms[len(ms)-1].ID
		}
		return s.sendFrom(key, "reaction", map[string]any{"message_id": target, "emoji": "👍"}, "")
	case "unsupported":
		return s.sendRawFrom(key, map[string]any{"type": "unsupported", "errors": []any{errorObject(131051)}})
	case "system":
		return s.sendRawFrom(key, map[string]any{"type": "system", "system": map[string]any{"body": "Nomor telepon berubah", "type": "user_changed_number"}})
	}
	panic("graphtest: unknown kind " + kind)
}

// SendRaw delivers a message object given as raw JSON members (the fake adds
// nothing), for malformed input: `"type":"text","text":{"body":5}`.
func (s *Server) SendRaw(key, members string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userFor(key)
	id := s.nextID("wamid.RAW")
	raw := json.RawMessage(fmt.Sprintf(`{"from":%q,"from_user_id":%q,"id":%q,"timestamp":%q,%s}`, u.Phone, u.UserID, id, s.timestamp(s.opts.Now()), members))
	s.lastInbound[u.Key()] = s.opts.Now()
	s.inbound[id] = u.Key()
	body := s.envelope(map[string]any{"contacts": []any{contactOf(u)}, "messages": []any{raw}})
	s.batches[id] = body
	s.enqueueLocked(u.Key(), body)
	return id
}

func (s *Server) sendRawFrom(key string, msg map[string]any) string {
	return s.deliverLocked(key, msg, "")
}

// Press taps the button, list row or template quick reply titled title (or a
// list row whose description is title) in the newest message that has it.
func (s *Server) Press(key, title string) (string, error) {
	s.mu.Lock()
	var reply map[string]any
	quoted := ""
	ms := s.msgs[key]
	for i := len(ms) - 1; i >= 0 && reply == nil; i-- {
		m := ms[i]
		switch {
		case m.Type == "interactive" && m.Interactive == "button":
			for j, b := range m.Buttons {
				if b == title {
					reply = map[string]any{"type": "interactive", "interactive": map[string]any{
						"type": "button_reply", "button_reply": map[string]any{"id": m.ButtonIDs[j], "title": b}}}
				}
			}
		case m.Type == "interactive" && m.Interactive == "list":
			for _, r := range m.Rows {
				if r.Title == title || r.Description == title {
					lr := map[string]any{"id": r.ID, "title": r.Title}
					if r.Description != "" {
						lr["description"] = r.Description
					}
					reply = map[string]any{"type": "interactive", "interactive": map[string]any{"type": "list_reply", "list_reply": lr}}
					break
				}
			}
		case m.Type == "template":
			for j, b := range m.Buttons {
				if b == title {
					payload := m.ButtonIDs[j]
					if payload == "" {
						payload = b // Meta's default payload is the button's text
					}
					reply = map[string]any{"type": "button", "button": map[string]any{"payload": payload, "text": b}}
				}
			}
		}
		if reply != nil {
			quoted = m.ID
		}
	}
	s.mu.Unlock()
	if reply == nil {
		return "", fmt.Errorf("graphtest: no button %q in the messages to %s", title, key)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deliverLocked(key, reply, quoted), nil
}

// Buttons returns the titles of the newest interactive message's buttons or rows (or a template's quick replies).
func (s *Server) Buttons(key string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := s.msgs[key]
	for i := len(ms) - 1; i >= 0; i-- {
		m := ms[i]
		if len(m.Buttons) > 0 {
			return append([]string(nil), m.Buttons...)
		}
		if len(m.Rows) > 0 {
			var out []string
			for _, r := range m.Rows {
				out = append(out, r.Title)
			}
			return out
		}
	}
	return nil
}

// Duplicate delivers the webhook call that carried message id once more, as
// Meta does when it did not see the 200.
func (s *Server) Duplicate(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	body, ok := s.batches[id]
	if !ok {
		return fmt.Errorf("graphtest: no delivered message %s", id)
	}
	s.enqueueLocked(s.inbound[id], body)
	return nil
}

// BatchItem is one text of a SendBatch.
type BatchItem struct {
	Key, Text string
}

// SendBatch delivers many texts, of one or several people, in one webhook call
// (Meta batches under load); it returns their ids.
func (s *Server) SendBatch(items []BatchItem) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var msgs, contacts []any
	seen := map[string]bool{}
	ids := make([]string, 0, len(items))
	for _, it := range items {
		u := s.userFor(it.Key)
		msg, id := s.messageLocked(u, "text", map[string]any{"body": it.Text}, "")
		msgs = append(msgs, msg)
		ids = append(ids, id)
		if !seen[u.UserID] {
			seen[u.UserID] = true
			contacts = append(contacts, contactOf(u))
		}
	}
	body := s.envelope(map[string]any{"contacts": contacts, "messages": msgs})
	for _, id := range ids {
		s.batches[id] = body
	}
	s.enqueueLocked("\x00batch", body)
	return ids
}

func (s *Server) sendFrom(key, typ string, obj any, quoted string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deliverLocked(key, map[string]any{"type": typ, typ: obj}, quoted)
}

// deliverLocked sends one message of the user in its own webhook call.
func (s *Server) deliverLocked(key string, fields map[string]any, quoted string) string {
	u := s.userFor(key)
	typ, _ := fields["type"].(string)
	msg, id := s.messageLocked(u, typ, fields[typ], quoted)
	for k, v := range fields {
		msg[k] = v
	}
	body := s.envelope(map[string]any{"contacts": []any{contactOf(u)}, "messages": []any{msg}})
	s.batches[id] = body
	s.enqueueLocked(u.Key(), body)
	return id
}

// messageLocked builds one inbound message; the person has now written, and
// read everything the bot had delivered to them.
func (s *Server) messageLocked(u *User, typ string, obj any, quoted string) (map[string]any, string) {
	now := s.opts.Now()
	id := s.nextID("wamid.IN")
	msg := map[string]any{"id": id, "timestamp": s.timestamp(now), "type": typ, "from_user_id": u.UserID}
	if u.Phone != "" {
		msg["from"] = u.Phone
	}
	if obj != nil {
		msg[typ] = obj
	}
	if quoted != "" {
		msg["context"] = map[string]any{"from": DefaultDisplayPhone, "id": quoted}
	}
	s.lastInbound[u.Key()] = now
	s.inbound[id] = u.Key()
	for _, m := range s.msgs[u.Key()] {
		if m.Status == "delivered" {
			s.statusLocked(m, "read")
		}
	}
	return msg, id
}

func (s *Server) userFor(key string) *User {
	if u, ok := s.users[key]; ok {
		return u
	}
	return s.userLocked(User{Phone: key})
}

func contactOf(u *User) map[string]any {
	c := map[string]any{"profile": map[string]any{"name": u.Name}, "user_id": u.UserID}
	if u.Phone != "" {
		c["wa_id"] = u.Phone
	}
	return c
}
