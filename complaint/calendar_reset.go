package complaint

// ResetCalendar drops the cached working-day calendar so the next deadline computation
// reloads the holidays from the database; call it after the holiday list changes.
func (s *Service) ResetCalendar() {
	s.calMu.Lock()
	defer s.calMu.Unlock()
	s.Calendar = nil
}
