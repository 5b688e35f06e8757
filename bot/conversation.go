package bot

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/models"
)

// JobInserter inserts River jobs inside a database transaction; *river.Client[*sql.Tx] is one.
type JobInserter interface {
	InsertManyFastTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) (int, error)
}

// Handler is the conversation handler: in one database transaction per inbound
// message it records the message, runs the flow engine, applies its effects and
// queues the replies and timers as River jobs.
type Handler struct {
	DB         *gorm.DB
	Jobs       JobInserter
	Engine     *flows.Engine
	Complaints *complaint.Service
	Locales    Translator
	DataDir    string
	MaxPhoto   int64
	Log        *slog.Logger
	Now        func() time.Time
	// AwaitReplyChannels are the channels whose adapter may keep a message until
	// the person writes again (bot.ErrAwaitReply); their inbound messages release them.
	AwaitReplyChannels map[string]bool
	// AnonymousChannels are the channels whose address says nothing about who writes (the web
	// chat's random browser id): there the identity question becomes an offer to give a name.
	AnonymousChannels map[string]bool
	// SequencedChannels are the channels whose page reads a chat's history in
	// the order messages became visible (models.SetVisible): the web chat.
	SequencedChannels map[string]bool
	// PrivacyVersion is the privacy notice's version (default PrivacyNoticeVersion).
	PrivacyVersion int

	flowCache sync.Map // "id@rev" -> *flows.Flow
}

var _ InboundHandler = (*Handler)(nil)
var _ PanicHandler = (*Handler)(nil)

// HandleInbound records in and answers it, exactly once per platform message id.
func (h *Handler) HandleInbound(ctx context.Context, in Inbound) error {
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = h.now()
	}
	in.Text, in.Name, in.ChoiceID = cleanText(in.Text), cleanText(in.Name), cleanText(in.ChoiceID)
	var photo *models.Attachment
	var photoErr error
	if in.Kind == KindPhoto {
		// The file is named by its content hash, so writing it before the transaction is idempotent.
		photo, photoErr = models.SaveAttachment(ctx, h.DB, h.DataDir, in.Photo, in.PhotoMIME, h.maxPhoto())
		if photoErr != nil && !refusedPhoto(photoErr) {
			// The database (or the disk) failed, not the photo: nothing is recorded, and the
			// platform delivers the message again (the web chat page retries) instead of the
			// citizen being told to send it again.
			return fmt.Errorf("save photo: %w", photoErr)
		}
	}
	return h.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := h.lockChat(tx, in.Channel, in.ChatID); err != nil {
			return err
		}
		cit, who, id, err := h.recordInbound(ctx, tx, in, models.MessageReceived, photo)
		if err != nil || id == 0 {
			return err
		}
		if err := h.answer(ctx, tx, cit, who, in, photo, photoErr); err != nil {
			return err
		}
		return h.visible(tx, in, id)
	}, &sql.TxOptions{})
}

// answer runs the flow (or the answer to a quoted question) for an inbound
// message just recorded, in its transaction.
func (h *Handler) answer(ctx context.Context, tx *gorm.DB, cit *models.Citizen, who *sender, in Inbound, photo *models.Attachment, photoErr error) error {
	if err := h.reachable(ctx, tx, cit, in); err != nil {
		return err
	}
	if in.Kind == KindPhoto && photoErr != nil {
		key := "sistem.foto_gagal" // a refusal without its own text
		if errors.Is(photoErr, models.ErrTooLarge) {
			key = "sistem.foto_terlalu_besar"
		} else if errors.Is(photoErr, models.ErrTooManyPixels) {
			key = "sistem.foto_terlalu_lebar"
		} else if errors.Is(photoErr, models.ErrNotImage) {
			key = "sistem.foto_bukan_gambar"
		}
		h.logger().Info("photo refused", slog.String("channel", in.Channel), slog.Any("error", photoErr))
		return h.queue(ctx, tx, cit, in.Channel, in.ChatID, nil, []Outbound{{Text: h.Locales.T(cit.Lang, key, map[string]any{"batas_mb": h.maxPhoto() >> 20})}})
	}
	if in.ReplyTo != "" && in.Kind == KindText {
		if done, err := h.answerQuoted(ctx, tx, cit, in); done || err != nil {
			return err
		}
	}
	input := toInput(in, photo)
	return h.advance(ctx, tx, cit, who, in.Channel, in.ChatID, input)
}

// refusedPhoto tells a photo the bot will not take (too large, too wide, not an
// image) from a failure to store it.
func refusedPhoto(err error) bool {
	return errors.Is(err, models.ErrTooLarge) || errors.Is(err, models.ErrTooManyPixels) || errors.Is(err, models.ErrNotImage)
}

// lockChat keeps other processes from handling a message of the same chat
// until this transaction ends (the dispatcher orders a chat within a process).
func (h *Handler) lockChat(tx *gorm.DB, channel, chatID string) error {
	return models.LockChatInbound(tx, channel, chatID)
}

// visible numbers an inbound message as the next visible one of its chat, on
// the channels whose page reads the history in that order (SequencedChannels).
// It is the transaction's last write: see models.SetVisible.
func (h *Handler) visible(tx *gorm.DB, in Inbound, id int64) error {
	if !h.SequencedChannels[in.Channel] {
		return nil
	}
	_, err := models.SetVisible(tx, id, in.Channel, in.ChatID)
	return err
}

// reachable undoes an earlier "unreachable" (the person blocked the bot, or the
// platform could not deliver) now that they wrote, and releases the messages
// that waited for them to write (bot.ErrAwaitReply), before this message's replies.
func (h *Handler) reachable(ctx context.Context, tx *gorm.DB, cit *models.Citizen, in Inbound) error {
	if cit.Unreachable {
		if err := tx.Model(&models.Citizen{}).Where("id = ?", cit.ID).Update("unreachable", false).Error; err != nil {
			return fmt.Errorf("mark citizen %d reachable: %w", cit.ID, err)
		}
		cit.Unreachable = false
	}
	if !h.AwaitReplyChannels[in.Channel] {
		return nil
	}
	res := tx.Model(&models.Message{}).
		Where("channel = ? AND chat_id = ? AND direction = ? AND status = ?", in.Channel, in.ChatID, models.DirectionOut, models.MessageWaiting).
		Updates(map[string]any{"status": models.MessageQueued, "error": ""})
	if res.Error != nil {
		return fmt.Errorf("release waiting messages: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil
	}
	h.logger().Info("messages that waited for the person to write are sent now", slog.String("channel", in.Channel), slog.Int64("count", res.RowsAffected))
	return insertJobs(ctx, tx, h.Jobs, []river.InsertManyParams{{Args: DeliverArgs{Channel: in.Channel, ChatID: in.ChatID}}})
}

// HandlePanic records a message whose handling panicked and apologizes, so the
// platform's redelivery is dropped as a duplicate instead of panicking again.
func (h *Handler) HandlePanic(ctx context.Context, in Inbound, _ any) error {
	return h.DB.WithContext(context.WithoutCancel(ctx)).Transaction(func(tx *gorm.DB) error {
		if err := h.lockChat(tx, in.Channel, in.ChatID); err != nil {
			return err
		}
		cit, _, id, err := h.recordInbound(ctx, tx, in, models.MessageFailed, nil)
		if err != nil || id == 0 {
			return err
		}
		if err := h.queue(ctx, tx, cit, in.Channel, in.ChatID, nil, []Outbound{{Text: h.Locales.T(cit.Lang, "sistem.maaf_gangguan", nil)}}); err != nil {
			return err
		}
		return h.visible(tx, in, id)
	}, &sql.TxOptions{})
}

// recordInbound finds or creates the citizen and logs the message, returning
// its id; 0 is a message id already seen on this channel (a duplicate).
func (h *Handler) recordInbound(ctx context.Context, tx *gorm.DB, in Inbound, status string, photo *models.Attachment) (*models.Citizen, *sender, int64, error) {
	var platformID *string
	if in.MessageID != "" {
		id := in.MessageID
		platformID = &id
	}
	msg := models.Message{
		Direction: models.DirectionIn, Channel: in.Channel, ChatID: in.ChatID, PlatformID: platformID,
		Kind: string(in.Kind), Text: inboundText(in), Status: status, CreatedAt: in.ReceivedAt.UTC(),
	}
	switch {
	case in.Kind == KindLocation:
		p, _ := json.Marshal(map[string]float64{"lat": in.Lat, "lng": in.Lng})
		msg.Payload = string(p)
	case photo != nil:
		p, _ := json.Marshal(map[string]int64{"attachment_id": photo.ID})
		msg.Payload = string(p)
	}
	if models.Dialect(tx) == models.DialectPostgres {
		// One round trip finds a known citizen and records the message.
		cit, who, id, err := h.citizenRecording(tx, in, &msg)
		switch {
		case err != nil:
			return nil, nil, 0, err
		case cit != nil && id == 0:
			return h.duplicate(in)
		case cit != nil:
			return cit, who, id, nil
		}
	}
	cit, who, err := h.citizen(ctx, tx, in)
	if err != nil {
		return nil, nil, 0, err
	}
	msg.CitizenID = cit.ID
	// The unique (channel, direction, platform_id) index is the dedupe: a message
	// already recorded inserts nothing and is dropped.
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&msg)
	if res.Error != nil {
		return nil, nil, 0, fmt.Errorf("record inbound: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return h.duplicate(in)
	}
	return cit, who, msg.ID, nil
}

// duplicate is recordInbound's answer for a message already recorded: drop it.
func (h *Handler) duplicate(in Inbound) (*models.Citizen, *sender, int64, error) {
	h.logger().Debug("duplicate inbound dropped", slog.String("channel", in.Channel), slog.String("message_ref", LogRef(in.MessageID)))
	return nil, nil, 0, nil
}

// answerQuoted attaches a citizen's reply that quotes the bot's question from an
// OPD (perlu_info) to that complaint, even when the conversation has moved on
// since; done reports that it did.
func (h *Handler) answerQuoted(ctx context.Context, tx *gorm.DB, cit *models.Citizen, in Inbound) (bool, error) {
	var quoted models.Message
	err := tx.Where("channel = ? AND direction = ? AND platform_id = ? AND citizen_id = ?", in.Channel, models.DirectionOut, in.ReplyTo, cit.ID).
		Limit(1).Find(&quoted).Error
	if err != nil || quoted.ID == 0 {
		return false, err
	}
	code := ticketInText(quoted.Text)
	if code == "" {
		return false, nil
	}
	var c models.Complaint
	if err := tx.Where("code = ? AND citizen_id = ?", code, cit.ID).Limit(1).Find(&c).Error; err != nil || c.ID == 0 || c.Status != complaint.StatusPerluInfo {
		return false, err
	}
	conv, st, err := h.activeConversation(tx, cit.ID)
	if err != nil {
		return false, err
	}
	if conv != nil && st.Flow == complaint.FlowJawabInfo && st.Data["kode"] == code && !st.Ended {
		return false, nil // the answer flow is waiting for exactly this: let it take it
	}
	if _, err := h.Complaints.AnswerInfo(ctx, tx, code, cit.ID, in.Text, nil); err != nil {
		if errors.Is(err, complaint.ErrTransition) {
			return false, nil
		}
		return false, err
	}
	h.logger().Debug("quoted answer attached", slog.String("ticket", code))
	return true, nil
}

// ticketInText finds a ticket code (PREFIX-YYMM-NNNN) in a text.
func ticketInText(s string) string {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return !(r == '-' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z')
	}) {
		if parts := strings.Split(f, "-"); len(parts) == 3 && len(parts[0]) >= 2 && len(parts[1]) == 4 && len(parts[2]) == 4 {
			if strings.Trim(parts[1]+parts[2], "0123456789") == "" {
				return f
			}
		}
	}
	return ""
}

// maxLoggedText bounds what the message log keeps of one message; the flow
// engine already refuses answers far shorter than this.
const maxLoggedText = 64 << 10

// cleanText makes platform text safe for every database (see CleanText).
func cleanText(s string) string { return CleanText(s, 0) }

func inboundText(in Inbound) string {
	if len(in.Text) > maxLoggedText {
		cut := in.Text[:maxLoggedText]
		return strings.ToValidUTF8(cut, "")
	}
	switch in.Kind {
	case KindChoice:
		if in.Text != "" {
			return in.Text // the button's label, as the person saw it
		}
		return in.ChoiceID
	case KindUnsupported:
		return in.Unsupported
	}
	return in.Text
}

// sender is what the first query of a message learned about the person besides
// the citizen row: whether they are an active officer and their active conversation.
type sender struct {
	officer bool
	conv    *models.Conversation // nil: no active conversation
	// noticeVersion is the privacy notice version this address saw (0: none yet).
	noticeVersion int
}

// senderRow is one row of the citizen query: the citizen, their active officer
// row's id and their active conversation, each of the last two possibly absent.
type senderRow struct {
	ID            int64
	Name          string
	Lang          string
	Unreachable   bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
	OfficerID     *int64
	ConvID        *int64
	ConvFlowID    *string
	ConvRevision  *int64
	ConvNode      *string
	ConvData      *string
	ConvWaitSeq   *int64
	ConvExpiresAt *time.Time
	ConvCreatedAt *time.Time
	ConvUpdatedAt *time.Time
	ConvComplaint *int64
	NoticeVersion int
	Inserted      int64 // senderRecordingPG only: the id of the message it recorded, 0 for none
}

// senderSelect finds the citizen behind a chat with their officer row and active
// conversation in one round trip (each citizen has at most one of either).
const senderSelect = `SELECT c.id, c.name, c.lang, c.unreachable, c.created_at, c.updated_at,
	o.id AS officer_id,
	cv.id AS conv_id, cv.flow_id AS conv_flow_id, cv.revision AS conv_revision, cv.node AS conv_node, cv.data AS conv_data,
	cv.wait_seq AS conv_wait_seq, cv.expires_at AS conv_expires_at, cv.created_at AS conv_created_at, cv.updated_at AS conv_updated_at,
	cv.complaint_id AS conv_complaint, i.notice_version
FROM identities i
JOIN citizens c ON c.id = i.citizen_id
LEFT JOIN officers o ON o.citizen_id = c.id AND o.active = ?
LEFT JOIN conversations cv ON cv.citizen_id = c.id AND cv.status = ?
WHERE i.channel = ? AND i.address = ?
LIMIT 1`

// senderRecordingPG is senderSelect that also records the inbound message for
// the citizen it finds (PostgreSQL: a data-modifying WITH). inserted is 0 when
// the unique (channel, direction, platform_id) index already holds the message.
const senderRecordingPG = `WITH s AS (` + senderSelect + `),
ins AS (
	INSERT INTO messages (citizen_id, direction, channel, chat_id, platform_id, kind, text, payload, status, error, created_at)
	SELECT s.id, ?, ?, ?, ?, ?, ?, ?, ?, '', CAST(? AS timestamptz) FROM s
	ON CONFLICT DO NOTHING
	RETURNING id
)
SELECT s.*, COALESCE((SELECT id FROM ins), 0) AS inserted FROM s`

// citizenRecording runs senderRecordingPG for msg; cit is nil when the chat has
// no citizen yet, and id is 0 when the message was recorded before.
func (h *Handler) citizenRecording(tx *gorm.DB, in Inbound, msg *models.Message) (cit *models.Citizen, who *sender, id int64, err error) {
	var rows []senderRow
	err = tx.Raw(senderRecordingPG, true, models.ConversationActive, in.Channel, in.ChatID,
		msg.Direction, msg.Channel, msg.ChatID, msg.PlatformID, msg.Kind, msg.Text, msg.Payload, msg.Status, msg.CreatedAt).Scan(&rows).Error
	if err != nil {
		return nil, nil, 0, fmt.Errorf("load citizen and record inbound: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil, 0, nil
	}
	cit, who = rows[0].parts()
	return cit, who, rows[0].Inserted, nil
}

// parts splits a row into the citizen and what else was learned about them.
func (r senderRow) parts() (*models.Citizen, *sender) {
	c := &models.Citizen{ID: r.ID, Name: r.Name, Lang: r.Lang, Unreachable: r.Unreachable, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	who := &sender{officer: r.OfficerID != nil, noticeVersion: r.NoticeVersion}
	if r.ConvID != nil {
		who.conv = &models.Conversation{ID: *r.ConvID, CitizenID: r.ID, FlowID: deref(r.ConvFlowID), Revision: deref(r.ConvRevision),
			Node: deref(r.ConvNode), Data: deref(r.ConvData), Status: models.ConversationActive, WaitSeq: deref(r.ConvWaitSeq),
			ExpiresAt: r.ConvExpiresAt, CreatedAt: deref(r.ConvCreatedAt), UpdatedAt: deref(r.ConvUpdatedAt), ComplaintID: r.ConvComplaint}
	}
	return c, who
}

func (h *Handler) citizen(ctx context.Context, tx *gorm.DB, in Inbound) (*models.Citizen, *sender, error) {
	var rows []senderRow
	if err := tx.Raw(senderSelect, true, models.ConversationActive, in.Channel, in.ChatID).Scan(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("load citizen: %w", err)
	}
	if len(rows) == 1 {
		c, who := rows[0].parts()
		return c, who, nil
	}
	c := models.Citizen{Name: in.Name, Lang: langOf(in.Lang)}
	if err := tx.Create(&c).Error; err != nil {
		return nil, nil, fmt.Errorf("create citizen: %w", err)
	}
	ident := models.Identity{CitizenID: c.ID, Channel: in.Channel, Address: in.ChatID}
	if err := tx.Create(&ident).Error; err != nil {
		return nil, nil, fmt.Errorf("create identity: %w", err)
	}
	return &c, &sender{}, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func langOf(l string) string {
	if len(l) >= 2 && l[:2] == "en" {
		return "en"
	}
	return "id"
}

func toInput(in Inbound, photo *models.Attachment) flows.Input {
	switch in.Kind {
	case KindChoice:
		return flows.Input{Kind: flows.InputChoice, ChoiceID: in.ChoiceID}
	case KindLocation:
		return flows.Input{Kind: flows.InputLocation, Lat: in.Lat, Lng: in.Lng}
	case KindPhoto:
		return flows.Input{Kind: flows.InputPhoto, PhotoRef: strconv.FormatInt(photo.ID, 10), Text: in.Text}
	case KindUnsupported:
		return flows.Input{Kind: flows.InputUnsupported, Unsupported: in.Unsupported}
	}
	return flows.Input{Kind: flows.InputText, Text: in.Text}
}

// advance runs one input through the citizen's conversation and applies the effects.
func (h *Handler) advance(ctx context.Context, tx *gorm.DB, cit *models.Citizen, who *sender, channel, chatID string, input flows.Input) error {
	if code, ok := registrationCode(input); ok {
		return h.register(ctx, tx, cit, channel, chatID, code)
	}
	if lang, ok := languageSwitch(input); ok {
		return h.switchLanguage(ctx, tx, cit, who, channel, chatID, lang)
	}
	if who.officer {
		off, err := models.OfficerByCitizen(ctx, tx, cit.ID)
		if err != nil {
			return err
		}
		return h.officerInput(ctx, tx, cit, off, channel, chatID, input)
	}
	st, err := conversationState(who.conv)
	if err != nil {
		return err
	}
	if privacyCommand(input) {
		// The notice again, with the question waiting asked again under it (or the menu).
		if err := h.markPrivacyShown(ctx, tx, channel, chatID, h.now()); err != nil {
			return err
		}
		return h.stepConv(ctx, tx, cit, nil, channel, chatID, flows.Input{Kind: flows.InputRepeat, Notice: PrivacyNoticeKey}, "", nil, who.conv, st)
	}
	// First contact on this channel, or a new version of the notice: it is part of the reply.
	notice := who.noticeVersion < h.privacyVersion()
	if notice {
		if err := h.markPrivacyShown(ctx, tx, channel, chatID, h.now()); err != nil {
			return err
		}
	}
	if dataCommand(input) {
		// What is kept about them, then the question waiting asked again (or the menu).
		out, err := h.ownData(ctx, tx, cit, channel)
		if err != nil {
			return err
		}
		return h.stepConvWith(ctx, tx, cit, nil, channel, chatID, flows.Input{Kind: flows.InputRepeat}, "", []Outbound{out}, who.conv, st, notice)
	}
	return h.stepConvWith(ctx, tx, cit, nil, channel, chatID, input, "", nil, who.conv, st, notice)
}

// step runs one input through the person's conversation, or starts flowID
// (with InputStart) when given, and applies the effects after prefix.
func (h *Handler) step(ctx context.Context, tx *gorm.DB, cit *models.Citizen, off *models.Officer, channel, chatID string, input flows.Input, flowID string, prefix []Outbound) error {
	conv, st, err := h.activeConversation(tx, cit.ID)
	if err != nil {
		return err
	}
	return h.stepConv(ctx, tx, cit, off, channel, chatID, input, flowID, prefix, conv, st)
}

// stepConv is step with the active conversation (nil: none) and its state already loaded.
func (h *Handler) stepConv(ctx context.Context, tx *gorm.DB, cit *models.Citizen, off *models.Officer, channel, chatID string, input flows.Input, flowID string, prefix []Outbound,
	conv *models.Conversation, st flows.State) error {
	return h.stepConvWith(ctx, tx, cit, off, channel, chatID, input, flowID, prefix, conv, st, false)
}

// stepConvWith is stepConv whose reply carries the privacy notice when notice is set.
func (h *Handler) stepConvWith(ctx context.Context, tx *gorm.DB, cit *models.Citizen, off *models.Officer, channel, chatID string, input flows.Input, flowID string, prefix []Outbound,
	conv *models.Conversation, st flows.State, notice bool) error {
	st.Lang = cit.Lang
	var f *flows.Flow
	var err error
	switch {
	case flowID != "":
		if f, err = h.flowAt(tx, flowID, 0); err != nil {
			return err
		}
	case st.Flow != "" && !st.Ended:
		if f, err = h.flowAt(tx, st.Flow, st.Revision); err != nil {
			return err
		}
	}
	env := &env{h: h, tx: tx, citizen: cit, officer: off, channel: channel, conv: conv}
	_, next, effects, err := h.Engine.Step(ctx, f, st, input, env)
	if err != nil {
		return fmt.Errorf("flow step: %w", err)
	}
	if notice {
		effects = withPrivacyNotice(effects)
	}
	return h.apply(ctx, tx, cit, channel, chatID, conv, next, effects, prefix...)
}

func (h *Handler) activeConversation(tx *gorm.DB, citizenID int64) (*models.Conversation, flows.State, error) {
	var conv models.Conversation
	err := tx.Where("citizen_id = ? AND status = ?", citizenID, models.ConversationActive).Order("id DESC").First(&conv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, flows.State{}, nil
	}
	if err != nil {
		return nil, flows.State{}, fmt.Errorf("load conversation: %w", err)
	}
	st, err := conversationState(&conv)
	if err != nil {
		return nil, flows.State{}, err
	}
	return &conv, st, nil
}

// conversationState decodes the engine's state kept in conv (nil: a fresh state).
func conversationState(conv *models.Conversation) (flows.State, error) {
	var st flows.State
	if conv != nil && conv.Data != "" {
		if err := json.Unmarshal([]byte(conv.Data), &st); err != nil {
			return flows.State{}, fmt.Errorf("decode conversation %d: %w", conv.ID, err)
		}
	}
	return st, nil
}

// apply persists the new state and queues messages and timers.
func (h *Handler) apply(ctx context.Context, tx *gorm.DB, cit *models.Citizen, channel, chatID string, conv *models.Conversation, st flows.State, effects []flows.Effect, prefix ...Outbound) error {
	now := h.now()
	var wait *flows.Wait
	for _, e := range effects {
		if w, ok := e.(flows.Wait); ok {
			wait = &w
		}
	}
	if conv == nil {
		conv = &models.Conversation{CitizenID: cit.ID, Status: models.ConversationActive}
	}
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	conv.FlowID, conv.Revision, conv.Node, conv.Data = st.Flow, st.Revision, st.Node, string(data)
	conv.ExpiresAt = nil
	if st.Ended {
		conv.Status = models.ConversationEnded
	}
	var timers []river.InsertManyParams
	if wait != nil && !st.Ended {
		conv.WaitSeq++
		if wait.ExpireAfter > 0 {
			exp := now.Add(wait.ExpireAfter)
			conv.ExpiresAt = &exp
		}
	}
	rendered := Render(ChannelTexts{Translator: h.Locales, Channel: channel}, cit.Lang, effects)
	if len(prefix) > 0 && prefix[0].Notice != nil && prefix[0].Notice.Choices == nil && len(rendered) > 0 {
		// A notification that starts a flow offers the flow's first answers with
		// it, so a template sent in its place can carry them as quick replies.
		prefix[0].Notice.Choices = rendered[0].Choices
	}
	outs := append(prefix, rendered...)
	// On PostgreSQL a conversation that exists is saved with the replies in one statement.
	together := conv.ID != 0 && len(outs) > 0 && models.Dialect(tx) == models.DialectPostgres
	if !together {
		if err := tx.Save(conv).Error; err != nil {
			return fmt.Errorf("save conversation: %w", err)
		}
	}
	if wait != nil && !st.Ended {
		// Only the next timer is scheduled: a reminder's own step waits again with
		// the rest of the expiry, which schedules the expiry then.
		switch {
		case wait.RemindAfter > 0:
			timers = append(timers, river.InsertManyParams{Args: FlowTimerArgs{ConversationID: conv.ID, Seq: conv.WaitSeq, Event: TimerRemind, DueAt: now.Add(wait.RemindAfter)},
				InsertOpts: &river.InsertOpts{ScheduledAt: now.Add(wait.RemindAfter)}})
		case wait.ExpireAfter > 0:
			timers = append(timers, river.InsertManyParams{Args: FlowTimerArgs{ConversationID: conv.ID, Seq: conv.WaitSeq, Event: TimerExpire, DueAt: now.Add(wait.ExpireAfter)},
				InsertOpts: &river.InsertOpts{ScheduledAt: now.Add(wait.ExpireAfter)}})
		}
	}
	// River runs on the real clock, so timers are scheduled relative to it even when a test moves h.Now.
	for i := range timers {
		timers[i].InsertOpts.ScheduledAt = time.Now().Add(timers[i].InsertOpts.ScheduledAt.Sub(now))
	}
	if together {
		return saveAndQueuePG(ctx, tx, h.Jobs, conv, now, channel, chatID, outs, timers)
	}
	return QueueOutbound(ctx, tx, h.Jobs, cit.ID, &conv.ID, channel, chatID, outs, now, timers...)
}

// saveAndQueuePG updates conv and records outs as queued messages in one
// statement (PostgreSQL: a data-modifying WITH), then inserts the delivery job
// and timers: two round trips where gorm would take three.
func saveAndQueuePG(ctx context.Context, tx *gorm.DB, jobs JobInserter, conv *models.Conversation, now time.Time, channel, chatID string, outs []Outbound, more []river.InsertManyParams) error {
	rows, err := outboundRows(conv.CitizenID, &conv.ID, channel, chatID, outs, now)
	if err != nil {
		return err
	}
	conv.UpdatedAt = now
	var q strings.Builder
	q.WriteString(`WITH c AS (UPDATE conversations SET flow_id = ?, revision = ?, node = ?, data = ?, status = ?, wait_seq = ?, expires_at = ?, updated_at = ? WHERE id = ?)
INSERT INTO messages (citizen_id, conversation_id, direction, channel, chat_id, kind, text, payload, status, error, created_at) VALUES `)
	args := []any{conv.FlowID, conv.Revision, conv.Node, conv.Data, conv.Status, conv.WaitSeq, conv.ExpiresAt, conv.UpdatedAt, conv.ID}
	for i, m := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?)")
		args = append(args, m.CitizenID, m.ConversationID, m.Direction, m.Channel, m.ChatID, m.Kind, m.Text, m.Payload, m.Status, m.CreatedAt)
	}
	if err := tx.Exec(q.String(), args...).Error; err != nil {
		return fmt.Errorf("save conversation and queue outbound: %w", err)
	}
	return insertJobs(ctx, tx, jobs, append(more, river.InsertManyParams{Args: DeliverArgs{Channel: channel, ChatID: chatID}}))
}

// queue writes outbound messages and one delivery job in tx.
func (h *Handler) queue(ctx context.Context, tx *gorm.DB, cit *models.Citizen, channel, chatID string, convID *int64, outs []Outbound) error {
	if len(outs) == 0 {
		return nil
	}
	return QueueOutbound(ctx, tx, h.Jobs, cit.ID, convID, channel, chatID, WithLang(outs, cit.Lang), h.now())
}

// QueueOutbound records outs as queued messages to one chat and inserts the
// delivery job (and any other jobs given), all inside tx, so the replies commit
// with what caused them.
func QueueOutbound(ctx context.Context, tx *gorm.DB, jobs JobInserter, citizenID int64, convID *int64, channel, chatID string, outs []Outbound, now time.Time, more ...river.InsertManyParams) error {
	return queueOutbound(ctx, tx, jobs, citizenID, convID, nil, channel, chatID, outs, now, more...)
}

// queueOutbound is QueueOutbound whose messages are about complaintID (nil: none).
func queueOutbound(ctx context.Context, tx *gorm.DB, jobs JobInserter, citizenID int64, convID, complaintID *int64, channel, chatID string, outs []Outbound, now time.Time, more ...river.InsertManyParams) error {
	params := more
	if len(outs) > 0 {
		rows, err := outboundRows(citizenID, convID, channel, chatID, outs, now)
		if err != nil {
			return err
		}
		for i := range rows {
			rows[i].ComplaintID = complaintID
		}
		if err := tx.Create(&rows).Error; err != nil {
			return fmt.Errorf("queue outbound: %w", err)
		}
		params = append(params, river.InsertManyParams{Args: DeliverArgs{Channel: channel, ChatID: chatID}})
	}
	return insertJobs(ctx, tx, jobs, params)
}

// outboundRows are outs as queued message rows to one chat.
func outboundRows(citizenID int64, convID *int64, channel, chatID string, outs []Outbound, now time.Time) ([]models.Message, error) {
	rows := make([]models.Message, 0, len(outs))
	for _, o := range outs {
		o.Channel, o.ChatID = channel, chatID
		payload, err := json.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("encode outbound: %w", err)
		}
		rows = append(rows, models.Message{CitizenID: citizenID, ConversationID: convID, Direction: models.DirectionOut, Channel: channel, ChatID: chatID,
			Kind: outboundKind(o), Text: o.Text, Payload: string(payload), Status: models.MessageQueued, CreatedAt: now.UTC()})
	}
	return rows, nil
}

// insertJobs inserts River jobs in tx.
func insertJobs(ctx context.Context, tx *gorm.DB, jobs JobInserter, params []river.InsertManyParams) error {
	if len(params) == 0 {
		return nil
	}
	// The fast path returns no rows: the caller never needs the jobs back.
	if _, err := jobs.InsertManyFastTx(ctx, sqlTx(tx), params); err != nil {
		return fmt.Errorf("insert jobs: %w", err)
	}
	return nil
}

func outboundKind(o Outbound) string {
	switch {
	case o.PhotoPath != "":
		return "photo"
	case o.HasLocation:
		return "location"
	case len(o.Choices) > 0:
		return "choice"
	}
	return "text"
}

func sqlTx(tx *gorm.DB) *sql.Tx {
	t, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		panic("bot: a job must be inserted inside a database transaction")
	}
	return t
}

// flowAt returns revision rev of flow id, or its latest revision when rev is 0.
// Revisions never change once published, so each is parsed once per process;
// the latest one is looked up by number every time, so a publish is seen at once.
func (h *Handler) flowAt(tx *gorm.DB, id string, rev int64) (*flows.Flow, error) {
	if rev <= 0 {
		var latest []int64
		if err := tx.Model(&models.FlowRevision{}).Where("flow_id = ?", id).Order("revision DESC").Limit(1).Pluck("revision", &latest).Error; err != nil {
			return nil, fmt.Errorf("load flow %s: %w", id, err)
		}
		if len(latest) == 0 {
			return nil, fmt.Errorf("load flow %s: %w", id, gorm.ErrRecordNotFound)
		}
		rev = latest[0]
	}
	key := id + "@" + strconv.FormatInt(rev, 10)
	if f, ok := h.flowCache.Load(key); ok {
		return f.(*flows.Flow), nil
	}
	var fr models.FlowRevision
	if err := tx.Where("flow_id = ? AND revision = ?", id, rev).First(&fr).Error; err != nil {
		return nil, fmt.Errorf("load flow %s revision %d: %w", id, rev, err)
	}
	f, err := flows.Parse([]byte(fr.Source))
	if err != nil {
		return nil, fmt.Errorf("parse flow %s revision %d: %w", id, fr.Revision, err)
	}
	f.Revision = fr.Revision
	h.flowCache.Store(key, f)
	return f, nil
}

func (h *Handler) maxPhoto() int64 {
	if h.MaxPhoto > 0 {
		return h.MaxPhoto
	}
	return 10 << 20
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) logger() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}
