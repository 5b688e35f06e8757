package flows

// The action contract: names a flow may `do`, the data sources a choice question may
// take its choices `from`, and the data keys each writes into State.Data. The host
// implements them in Env; the default flows and their locale texts rely on these keys.
//
// Actions (Env.Call; params come from the node's `with`, each a template over the data):
//
//	complaint.submit      files the complaint from the data the pengaduan flow collected:
//	                      kategori (category id), kategori_label, uraian, lokasi_lat/lokasi_lng
//	                      or kecamatan (+ kecamatan_label) and lokasi_alamat, foto (comma separated
//	                      photo refs), foto_jumlah, rahasia ("ya"/"tidak"), nama_warga (a name the
//	                      citizen typed: it becomes theirs).
//	                      Outcome "ok"; writes kode (ticket, e.g. OKI-2611-0042), opd (the agency's
//	                      display name) and batas (the response deadline, already formatted for
//	                      the citizen's language, e.g. "Jumat, 4 Desember 2026").
//	                      An error goes to the node's on.error.
//	complaint.locate      places the map point lokasi_lat/lokasi_lng in its desa and kecamatan,
//	                      or finds the desa a typed lokasi_alamat names in the chosen kecamatan.
//	                      Writes desa, desa_label, kecamatan, kecamatan_label (each "" when
//	                      unknown) and lokasi_luar ("ya" for a point outside the regency).
//	                      Outcome "ok", or "luar" for a point outside the regency.
//	complaint.similar     looks for open complaints of the category kategori filed in the last 30
//	                      days within 250 m of lokasi_lat/lokasi_lng or in the desa desa. Outcome
//	                      "found" (writes serupa: their codes, comma separated, nearest first, at
//	                      most 3; serupa_jumlah; serupa_daftar: one line each, "CODE · place ·
//	                      status · age", nothing personal) or "not_found".
//	complaint.support     params: kode. The citizen supports that complaint instead of filing:
//	                      writes kode, opd, status_teks. Outcome "ok", or "tidak_berlaku" when
//	                      it is no longer open (or is the citizen's own).
//	complaint.status      params: kode (a ticket code, or a text with one in it). Outcome "found"
//	                      or "not_found". On found writes kode (normalized), status_teks (the
//	                      status in words) and riwayat (the latest history lines, newline
//	                      separated, ready to show).
//	complaint.latest      params: teks (what the citizen asked, e.g. "laporan lampu kemarin
//	                      gimana"). Picks the citizen's latest report, preferring the latest of
//	                      the category the text names. Outcome "found" (writes kode) or
//	                      "not_found" when the citizen has no report.
//	citizen.identity      whether the bot knows who reports: outcome "known" (a Telegram or
//	                      WhatsApp account, or a name given before) or "unknown" (the web chat
//	                      of someone who gave no name). Writes nama_dikenal (the name known, may be "").
//	citizen.erase         (hapusdata) erases the citizen's identity and contact on every
//	                      channel, their messages and conversations' data; their reports stay,
//	                      anonymized; the request is audited. Outcome "ok".
//	citizen.set_language  params: lang ("id" or "en"). Sets State.Lang (and stores it for the
//	                      citizen). Outcome "ok".
//
//	complaint.confirm     (survei) params: kode, selesai ("ya"/"tidak"). Outcome "ok" or
//	                      "tidak_berlaku" when the report is no longer waiting for the answer.
//	complaint.rate        (survei) params: kode, nilai (1-5), komentar. Outcomes as above.
//	complaint.answer_info (jawab_info) params: kode, teks. Outcomes as above.
//	complaint.reply, complaint.ask_info (officer flows) params: kode, teks.
//	complaint.forward     params: kode, opd (agency code), alasan.
//	complaint.finish      params: kode, catatan, bukti (photo ref, may be empty).
//	complaint.reject      params: kode, alasan.
//	                      Officer actions: outcome "ok", or "tidak_berlaku" when the status does
//	                      not allow it; an officer of another OPD gets an error.
//
// Data sources (Env.Choices; labels are literal text):
//
//	kategori      active complaint categories: id = category id, label = its name, words = its
//	              vocabulary (everyday words and synonyms, from the regency file; the engine reads
//	              free messages and typed categories with them).
//	kecamatan     districts of the regency: id = district id, label = its name.
//	serupa        the similar reports complaint.similar found: id = ticket code, label "Dukung
//	              laporan ini" (or "Dukung CODE" when several), then id "baru" = file a new one.
//	laporan_saya  the citizen's recent complaints: id = ticket code, label = "CODE · category · status".
//	opd           the agencies an officer can forward to: id = agency code, label = its name.
//
// Outcomes: an action returns an outcome name; the engine follows `on: {outcome: node}` and
// falls back to `next`. "" and "ok" mean success. An Env error becomes the outcome "error".
const (
	ActionComplaintSubmit = "complaint.submit"
	ActionComplaintStatus = "complaint.status"
	ActionComplaintLatest = "complaint.latest"
	ActionComplaintLocate = "complaint.locate"
	ActionSimilar         = "complaint.similar"
	ActionSupport         = "complaint.support"
	ActionSetLanguage     = "citizen.set_language"
	ActionIdentity        = "citizen.identity"
	ActionErase           = "citizen.erase"
	ActionConfirm         = "complaint.confirm"
	ActionRate            = "complaint.rate"
	ActionAnswerInfo      = "complaint.answer_info"
	ActionReply           = "complaint.reply"
	ActionAskInfo         = "complaint.ask_info"
	ActionForward         = "complaint.forward"
	ActionFinish          = "complaint.finish"
	ActionReject          = "complaint.reject"

	SourceKategori    = "kategori"
	SourceKecamatan   = "kecamatan"
	SourceLaporanSaya = "laporan_saya"
	SourceOPD         = "opd"
	SourceSerupa      = "serupa"

	OutcomeOK       = "ok"
	OutcomeError    = "error"
	OutcomeFound    = "found"
	OutcomeNotFound = "not_found"
	OutcomeKnown    = "known"
	OutcomeUnknown  = "unknown"
	// OutcomeOutside: complaint.locate found the map point outside the regency.
	OutcomeOutside = "luar"
	// OutcomeNotApplicable: the report's status no longer allows the action.
	OutcomeNotApplicable = "tidak_berlaku"
)

// DefaultActions lists the actions the host implements (see the contract above).
func DefaultActions() []string {
	return []string{ActionComplaintSubmit, ActionComplaintStatus, ActionComplaintLatest, ActionComplaintLocate, ActionSimilar, ActionSupport, ActionSetLanguage, ActionIdentity, ActionConfirm, ActionRate,
		ActionErase, ActionAnswerInfo, ActionReply, ActionAskInfo, ActionForward, ActionFinish, ActionReject}
}

// DefaultSources lists the data sources the host implements (see the contract above).
func DefaultSources() []string {
	return []string{SourceKategori, SourceKecamatan, SourceLaporanSaya, SourceOPD, SourceSerupa}
}
