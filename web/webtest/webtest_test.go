package webtest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/web/webtest"
)

// recordingTB captures how Browser ends a test without ending this one.
type recordingTB struct {
	testing.TB
	mu      sync.Mutex
	fatal   string
	skipped string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.fatal = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recordingTB) Skipf(format string, args ...any) {
	r.mu.Lock()
	r.skipped = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func run(t *testing.T) *recordingTB {
	r := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		webtest.Browser(r)
	}()
	<-done
	return r
}

func TestMissingChromium(t *testing.T) {
	t.Setenv("CHROMIUM_PATH", filepath.Join(t.TempDir(), "no-such-chromium"))
	require.Empty(t, webtest.ChromiumPath())

	t.Setenv("CI", "")
	r := run(t)
	require.Contains(t, r.skipped, "chromium not found")
	require.Empty(t, r.fatal)

	t.Setenv("CI", "true")
	r = run(t)
	require.Contains(t, r.fatal, "CI=true requires it")
	require.Empty(t, r.skipped)
}

func TestChromiumPathOverride(t *testing.T) {
	p := filepath.Join(t.TempDir(), "chrome")
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755))
	t.Setenv("CHROMIUM_PATH", p)
	require.Equal(t, p, webtest.ChromiumPath())
}
