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
//	                      photo refs), foto_jumlah, rahasia ("ya"/"tidak").
//	                      Outcome "ok"; writes kode (ticket, e.g. OKI-2611-0042), opd (the agency's
//	                      display name) and batas (the response deadline, already formatted for
//	                      the citizen's language, e.g. "Jumat, 4 Desember 2026").
//	                      An error goes to the node's on.error.
//	complaint.status      params: kode. Outcome "found" or "not_found". On found writes
//	                      kode (normalized), status_teks (the status in words) and riwayat
//	                      (the latest history lines, newline separated, ready to show).
//	citizen.set_language  params: lang ("id" or "en"). Sets State.Lang (and stores it for the
//	                      citizen). Outcome "ok".
//
// Data sources (Env.Choices; labels are literal text):
//
//	kategori      active complaint categories: id = category id, label = its name.
//	kecamatan     districts of the regency: id = district id, label = its name.
//	laporan_saya  the citizen's recent complaints: id = ticket code, label = "CODE · category".
//
// Outcomes: an action returns an outcome name; the engine follows `on: {outcome: node}` and
// falls back to `next`. "" and "ok" mean success. An Env error becomes the outcome "error".
const (
	ActionComplaintSubmit = "complaint.submit"
	ActionComplaintStatus = "complaint.status"
	ActionSetLanguage     = "citizen.set_language"

	SourceKategori    = "kategori"
	SourceKecamatan   = "kecamatan"
	SourceLaporanSaya = "laporan_saya"

	OutcomeOK       = "ok"
	OutcomeError    = "error"
	OutcomeFound    = "found"
	OutcomeNotFound = "not_found"
)

// DefaultActions lists the actions the host implements (see the contract above).
func DefaultActions() []string {
	return []string{ActionComplaintSubmit, ActionComplaintStatus, ActionSetLanguage}
}

// DefaultSources lists the data sources the host implements (see the contract above).
func DefaultSources() []string {
	return []string{SourceKategori, SourceKecamatan, SourceLaporanSaya}
}
