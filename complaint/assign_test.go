package complaint_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// TestAssignAndNotes: the OPD's people are its console petugas and chat officers (one entry
// for a linked pair); an assignment tells the assignee, moves the reminder to them alone,
// is hidden from the citizen, and ends with a forward; notes are read inside the OPD and by
// admins only and are never sent.
func TestAssignAndNotes(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		now := w.clock.Now()
		puprID := w.agency["PUPR"]
		andi, err := models.OfficerByCitizen(ctx, db, w.ids["Andi PUPR"])
		require.NoError(t, err)
		// Andi also has a console account, linked to his chat officer; Sari has only an account.
		linked := models.User{Email: "andi@oki.go.id", Name: "Andi (konsol)", Role: models.UserPetugas, AgencyID: &puprID, PasswordHash: "x",
			Active: true, OfficerID: &andi.ID, CreatedAt: now, UpdatedAt: now}
		sari := models.User{Email: "sari@oki.go.id", Name: "Sari", Role: models.UserPetugas, AgencyID: &puprID, PasswordHash: "x",
			Active: true, CreatedAt: now, UpdatedAt: now}
		pimpinan := models.User{Email: "bupati@oki.go.id", Name: "Bupati", Role: models.UserPimpinan, PasswordHash: "x", Active: true,
			CreatedAt: now, UpdatedAt: now}
		require.NoError(t, db.Create(&linked).Error)
		require.NoError(t, db.Create(&sari).Error)
		require.NoError(t, db.Create(&pimpinan).Error)

		people, err := w.svc.People(ctx, nil, puprID)
		require.NoError(t, err)
		var names []string
		for _, p := range people {
			names = append(names, p.Name)
		}
		require.Equal(t, []string{"Andi (konsol)", "Kepala PUPR", "Rina PUPR", "Sari"}, names, "Andi once, DLH's officer not at all")
		require.NotNil(t, people[0].OfficerID)
		require.Equal(t, andi.ID, *people[0].OfficerID)

		c := w.submit("jalan", false)
		w.rec.take()

		// The kepala assigns it to Andi: Andi's chat hears it; the citizen sees nothing of it.
		got, err := w.svc.Assign(ctx, nil, c.Code, w.kepala, people[0].Key)
		require.NoError(t, err)
		require.Equal(t, linked.ID, *got.AssigneeUserID)
		require.Equal(t, andi.ID, *got.AssigneeOfficerID)
		sent := w.rec.take()
		require.Equal(t, []string{"petugas_satu:petugas.ditugaskan"}, keys(sent))
		require.Equal(t, []int64{w.ids["Andi PUPR"]}, sent[0].To)
		require.Contains(t, sent[0].Text[w.ids["Andi PUPR"]], "Kepala PUPR menugaskan laporan "+c.Code+" kepada Anda")
		v, err := w.svc.Status(ctx, nil, c.Code, w.warga.ID)
		require.NoError(t, err)
		for _, ev := range v.Events {
			require.NotEqual(t, complaint.EventDitugaskan, ev.Kind, "the citizen's status has no assignment")
		}
		// Again to the same person: nothing happens.
		_, err = w.svc.Assign(ctx, nil, c.Code, w.kepala, people[0].Key)
		require.NoError(t, err)
		require.Empty(t, w.rec.take())
		require.Len(t, eventsOf(t, db, c, complaint.EventDitugaskan), 1)

		// Someone of another OPD, a pimpinan, or an unknown person: refused.
		_, err = w.svc.Assign(ctx, nil, c.Code, w.dlh, people[0].Key)
		require.ErrorIs(t, err, complaint.ErrForbidden)
		_, err = w.svc.Assign(ctx, nil, c.Code, complaint.ConsoleActor(&pimpinan), people[0].Key)
		require.ErrorIs(t, err, complaint.ErrForbidden)
		_, err = w.svc.Assign(ctx, nil, c.Code, w.kepala, "o999999")
		require.ErrorIs(t, err, complaint.ErrInvalid)

		// The response reminder goes to Andi alone.
		w.start()
		w.advanceTo(w.at("2026-12-03 08:00"))
		sent = w.rec.take()
		require.Equal(t, []string{"petugas_satu:petugas.pengingat_respond"}, keys(sent))
		require.Equal(t, []int64{w.ids["Andi PUPR"]}, sent[0].To)

		// Sari takes it herself from the console: a console-only assignee; her account has no chat.
		me, err := w.svc.Self(ctx, nil, complaint.ConsoleActor(&sari))
		require.NoError(t, err)
		_, err = w.svc.Assign(ctx, nil, c.Code, complaint.ConsoleActor(&sari), me.Key)
		require.NoError(t, err)
		require.Empty(t, w.rec.take(), "nobody to tell in a chat")

		// Notes: written by Andi (chat) and by Sari (console); read by PUPR and admins only.
		_, err = w.svc.AddNote(ctx, nil, c.Code, w.pupr, "Sudah cek lokasi")
		require.NoError(t, err)
		_, err = w.svc.AddNote(ctx, nil, c.Code, complaint.ConsoleActor(&sari), "Perlu papan 4 meter")
		require.NoError(t, err)
		_, err = w.svc.AddNote(ctx, nil, c.Code, w.dlh, "bukan urusan DLH")
		require.ErrorIs(t, err, complaint.ErrForbidden)
		_, err = w.svc.AddNote(ctx, nil, c.Code, w.pupr, "   ")
		require.ErrorIs(t, err, complaint.ErrInvalid)
		require.Empty(t, w.rec.take(), "a note is never sent")
		cc := w.complaint(c.Code)
		for _, who := range []complaint.Actor{w.pupr2, w.admin, complaint.ConsoleActor(&sari)} {
			notes, err := w.svc.Notes(ctx, nil, &cc, who)
			require.NoError(t, err)
			require.Len(t, notes, 2)
			require.Equal(t, "Andi PUPR", notes[0].AuthorName)
			require.Equal(t, "Sari", notes[1].AuthorName)
		}
		for _, who := range []complaint.Actor{w.dlh, complaint.ConsoleActor(&pimpinan)} {
			notes, err := w.svc.Notes(ctx, nil, &cc, who)
			require.NoError(t, err)
			require.Empty(t, notes)
		}

		// Forwarded to DLH: nobody there has it yet, and PUPR's notes stay PUPR's.
		_, err = w.svc.Forward(ctx, nil, c.Code, w.pupr, "DLH", "Ini sampah, bukan jalan")
		require.NoError(t, err)
		cc = w.complaint(c.Code)
		require.Nil(t, cc.AssigneeUserID)
		require.Nil(t, cc.AssigneeOfficerID)
		notes, err := w.svc.Notes(ctx, nil, &cc, w.dlh)
		require.NoError(t, err)
		require.Empty(t, notes)
	})
}

func eventsOf(t *testing.T, db *gorm.DB, c *models.Complaint, kind string) []models.ComplaintEvent {
	t.Helper()
	var evs []models.ComplaintEvent
	require.NoError(t, db.Where("complaint_id = ? AND kind = ?", c.ID, kind).Find(&evs).Error)
	return evs
}
