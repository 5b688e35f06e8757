package models

import (
	"strings"
	"time"
)

// Conversation statuses.
const (
	ConversationActive  = "active"
	ConversationEnded   = "ended"
	ConversationExpired = "expired"
)

// Message directions.
const (
	DirectionIn  = "in"
	DirectionOut = "out"
)

// Message statuses: inbound rows are "received"; outbound rows go queued ->
// sending (a platform request is out) -> sent or failed, or back to queued when
// the platform refused it for now, or queued -> waiting -> queued when the
// platform allows the message only after the person writes again (the WhatsApp
// Cloud API's 24-hour window).
const (
	MessageReceived = "received"
	MessageQueued   = "queued"
	MessageSending  = "sending"
	MessageSent     = "sent"
	MessageFailed   = "failed"
	MessageWaiting  = "waiting"
)

// Actor kinds on a complaint's timeline.
const (
	ActorWarga   = "warga"
	ActorPetugas = "petugas"
	ActorSistem  = "sistem"
	ActorAdmin   = "admin"
)

// Attachment kinds on a complaint.
const (
	AttachmentFoto  = "foto"  // sent by the citizen with the report
	AttachmentBukti = "bukti" // proof photo from the officer
)

// Region kinds.
const (
	RegionKecamatan = "kecamatan"
	RegionDesa      = "desa"
)

// Holiday kinds.
const (
	HolidayLibur       = "libur"        // national holiday
	HolidayCutiBersama = "cuti_bersama" // collective leave, also not a working day for OPDs
)

// Citizen is a person who writes to the bot, whatever channel they use.
type Citizen struct {
	ID          int64 `gorm:"primaryKey"`
	Name        string
	Lang        string // "id" or "en"
	Unreachable bool   // the citizen blocked the bot; stop sending
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// ErasedAt is when the citizen's identity and contact were erased at their request.
	ErasedAt *time.Time
}

// Identity is one address of a citizen on one channel (a Telegram chat id, a WhatsApp JID, a web session).
type Identity struct {
	ID        int64 `gorm:"primaryKey"`
	CitizenID int64
	Channel   string
	Address   string
	CreatedAt time.Time
	// NoticeVersion is the version of the privacy notice last shown on this
	// address (0: never), and NoticeAt when.
	NoticeVersion int
	NoticeAt      *time.Time
}

// Conversation is a citizen's run through a flow, pinned to the flow revision it started on.
type Conversation struct {
	ID        int64 `gorm:"primaryKey"`
	CitizenID int64
	FlowID    string
	Revision  int64
	Node      string
	Data      string // JSON of the flow engine's state
	Status    string // ConversationActive, ConversationEnded or ConversationExpired
	// WaitSeq is bumped every time the bot waits for input; a timer carries the seq it was made for,
	// so a stale timer finds a different seq and does nothing.
	WaitSeq   int64
	ExpiresAt *time.Time
	// ComplaintID is the complaint a follow-up conversation is about (an OPD's question, the survey).
	ComplaintID *int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Message is one inbound or outbound chat message.
type Message struct {
	ID             int64 `gorm:"primaryKey"`
	CitizenID      int64
	ConversationID *int64
	Direction      string // DirectionIn or DirectionOut
	Channel        string
	ChatID         string
	PlatformID     *string // the platform's message id; unique per channel and direction when set
	Kind           string
	Text           string
	Payload        string // JSON: choices, location, photo reference
	Status         string // MessageReceived, MessageQueued, MessageSending, MessageSent, MessageFailed or MessageWaiting
	Error          string
	ComplaintID    *int64 // the complaint a notification to the citizen is about
	// PartsSent counts the platform requests of this message already accepted
	// (a long text or a photo with a long caption goes out in several).
	PartsSent int
	// Resends counts how often the message was sent again after a crash left
	// its outcome unknown: each is a message the chat may have received twice.
	Resends int
	// Seq numbers the chat's messages in the order they became visible to its
	// page (see NextChatSeq); nil until then, and on channels without a history.
	Seq       *int64
	CreatedAt time.Time
	SendingAt *time.Time // when the last platform request of it went out
	SentAt    *time.Time
	// DeliveredAt and ReadAt are set when the platform reports the message
	// reached the person's phone and was read (WhatsApp Cloud API statuses).
	DeliveredAt *time.Time
	ReadAt      *time.Time
}

// Agency is an OPD (Organisasi Perangkat Daerah) that handles complaints.
type Agency struct {
	ID        int64 `gorm:"primaryKey"`
	Code      string
	Name      string
	ShortName string
	Triage    bool // receives complaints no other OPD owns and re-routes them
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Category is a complaint topic; it routes to one agency and sets the resolution target.
type Category struct {
	ID         int64 `gorm:"primaryKey"`
	Code       string
	Name       string
	NameEN     string
	AgencyID   int64
	TargetDays int // working days to resolve
	Sort       int
	// Words is the category's vocabulary, comma separated: everyday words and synonyms
	// ("jalan berlubang, aspal rusak, jembatan") the bot recognizes the category by.
	Words string
	// The category's hotspot rule (0: the defaults): at least HotspotMin complaints plus
	// supporters in one desa or within HotspotRadiusM metres, within HotspotHours.
	HotspotMin     int
	HotspotRadiusM int `gorm:"column:hotspot_radius_m"`
	HotspotHours   int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// WordList splits a comma- or newline-separated vocabulary into its words, trimmed, without
// empty entries or repeats.
func WordList(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == ';' }) {
		w = strings.Join(strings.Fields(w), " ")
		if k := strings.ToLower(w); w != "" && !seen[k] {
			seen[k] = true
			out = append(out, w)
		}
	}
	return out
}

// JoinWords is the stored form of a vocabulary: its words joined by ", ".
func JoinWords(ws []string) string { return strings.Join(WordList(strings.Join(ws, ",")), ", ") }

// Region is a kecamatan or a desa/kelurahan, coded BPS-style.
type Region struct {
	ID        int64 `gorm:"primaryKey"`
	Code      string
	Name      string
	Kind      string // RegionKecamatan or RegionDesa
	ParentID  *int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RegionBoundary is a region's outline: a GeoJSON Polygon or MultiPolygon geometry in
// [longitude, latitude]. It lives beside the region so that listing regions stays light.
type RegionBoundary struct {
	RegionID  int64 `gorm:"primaryKey;autoIncrement:false"`
	Geometry  string
	UpdatedAt time.Time
}

// Complaint is one citizen report (pengaduan) with its routing and deadlines.
type Complaint struct {
	ID              int64 `gorm:"primaryKey"`
	Code            string
	CitizenID       int64
	CategoryID      int64
	AgencyID        int64
	RegionID        *int64
	Description     string
	Lat             *float64
	Lng             *float64
	Address         string
	Confidential    bool
	Status          string
	Channel         string
	RouteBy         time.Time
	RespondBy       time.Time
	ResolveBy       time.Time
	CloseBy         *time.Time
	FirstResponseAt *time.Time
	ResolvedAt      *time.Time
	ClosedAt        *time.Time
	// DeadlineGen is bumped whenever the deadlines restart (forwarded, reopened); a deadline
	// timer carries the generation it was scheduled for, so an older one does nothing.
	DeadlineGen   int64
	Rating        *int // the citizen's 1..5 score, once given
	RatingComment string
	RatedAt       *time.Time
	// AnonymizedAt is when the retention job removed the complaint's personal data.
	AnonymizedAt *time.Time
	// ConversationID is the conversation the complaint was filed in (its thread starts there).
	ConversationID *int64
	// The officer the complaint is assigned to: a console account, a chat officer, or both
	// when the account is linked to the officer; nil when nobody is.
	AssigneeUserID    *int64
	AssigneeOfficerID *int64
	AssignedAt        *time.Time
	// GeoCell is the grid cell of the map point (geo.CellKey), nil without one: nearby
	// searches read the few cells around a point through an index on category, cell and time.
	GeoCell *int64
	// Supporters counts the citizens who support the complaint (ComplaintSupporter): its
	// weight is 1 + Supporters.
	Supporters int
	// DuplicateOfID is the complaint this one was marked a duplicate of.
	DuplicateOfID *int64 `gorm:"column:duplicate_of_id"`
	// HotspotID is the hotspot the complaint belongs to (the latest), nil when none.
	HotspotID *int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Ways a citizen becomes a complaint's supporter.
const (
	SupportDukung   = "dukung"   // pressed "Dukung laporan ini" instead of filing
	SupportDuplikat = "duplikat" // their own report was marked a duplicate of this one
)

// ComplaintSupporter is a citizen who supports another's complaint: they receive its updates
// and the survey, and count in its weight. Their identity is never shown to anyone else.
type ComplaintSupporter struct {
	ComplaintID int64  `gorm:"primaryKey;autoIncrement:false"`
	CitizenID   int64  `gorm:"primaryKey;autoIncrement:false"`
	Via         string // SupportDukung or SupportDuplikat
	// FromComplaintID is the supporter's own complaint that was marked a duplicate.
	FromComplaintID *int64
	// The supporter's answers to the survey: whether it is fixed, and a 1..5 score.
	Fixed     *bool
	Rating    *int
	RatedAt   *time.Time
	CreatedAt time.Time
}

// Hotspot kinds are complaint.HotspotDesa and complaint.HotspotTitik.

// Hotspot is a cluster of complaints of one category in one desa or around one point within a
// few hours: the OPD is alerted once, and again when its weight doubles.
type Hotspot struct {
	ID         int64 `gorm:"primaryKey"`
	CategoryID int64
	AgencyID   int64
	Kind       string
	RegionID   *int64 // the desa, for a desa hotspot
	Lat, Lng   *float64
	// Weight is complaints plus supporters; AlertedWeight what it was at the last alert.
	Weight        int
	AlertedWeight int
	Complaints    int
	Alerts        int
	FirstAt       time.Time // the first complaint's time
	LastAt        time.Time // the last check that found it
	AlertedAt     *time.Time
	CreatedAt     time.Time
}

// ComplaintEvent is one entry of a complaint's timeline.
type ComplaintEvent struct {
	ID           int64 `gorm:"primaryKey"`
	ComplaintID  int64
	Kind         string
	FromStatus   string
	ToStatus     string
	ActorKind    string // ActorWarga, ActorPetugas, ActorSistem or ActorAdmin
	ActorID      *int64
	Text         string
	AttachmentID *int64
	CreatedAt    time.Time
}

// Attachment is a stored image, cleaned of its metadata (see media.Clean),
// named and deduplicated by the SHA-256 of the cleaned bytes.
type Attachment struct {
	ID     int64  `gorm:"primaryKey"`
	SHA256 string `gorm:"column:sha256"`
	Path   string // the cleaned original, relative to the data directory, with forward slashes
	// PreviewPath is the JPEG preview (at most media.PreviewMax pixels a side) sent to chats
	// and shown in consoles; it equals Path when the original is a JPEG that small.
	PreviewPath string
	MIME        string `gorm:"column:mime"`
	Size        int64
	// Width and Height are the original's size, upright.
	Width, Height int
	// CleanedAt is when the file was cleaned; nil for a photo stored before cleaning
	// existed, which CleanAttachment (or "suarawarga photos clean") cleans.
	CleanedAt *time.Time
	CreatedAt time.Time
}

// ComplaintAttachment links an attachment to a complaint.
type ComplaintAttachment struct {
	ComplaintID  int64  `gorm:"primaryKey;autoIncrement:false"`
	AttachmentID int64  `gorm:"primaryKey;autoIncrement:false"`
	Kind         string // AttachmentFoto or AttachmentBukti
	CreatedAt    time.Time
}

// FlowRevision is one imported version of a flow file; the newest revision of a flow is the current one.
type FlowRevision struct {
	ID        int64 `gorm:"primaryKey"`
	FlowID    string
	Revision  int64
	Source    string
	CreatedBy string
	Note      string
	CreatedAt time.Time
}

// Regency is the single row describing the government this installation serves.
type Regency struct {
	ID           int64 `gorm:"primaryKey"`
	Name         string
	ShortName    string
	TicketPrefix string
	Timezone     string
	// Logo is the regency's logo as a data: URL ("" for none), shown by the web chat.
	Logo string
	// CenterLat/CenterLng is where a map opens without the phone's position; nil when unset.
	CenterLat, CenterLng *float64
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// Holiday is a day off for OPDs: a national holiday or cuti bersama.
type Holiday struct {
	ID        int64  `gorm:"primaryKey"`
	Date      string // YYYY-MM-DD
	Name      string
	Kind      string // HolidayLibur or HolidayCutiBersama
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TicketSequence holds the last ticket number issued for a prefix in a month (period "YYMM").
type TicketSequence struct {
	Prefix string `gorm:"primaryKey"`
	Period string `gorm:"primaryKey"`
	Last   int64
}
