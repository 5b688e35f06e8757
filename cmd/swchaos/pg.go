package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// cluster is a private PostgreSQL server made for one run: initdb in the run's
// folder, pg_ctl on a free port, run as the postgres user when swchaos is root.
// It is never the machine's shared server.
type cluster struct {
	dir, bin string
	port     int
	asUser   string // run the tools as this user ("" = as ourselves)
}

func newCluster(ctx context.Context, dir string) (*cluster, error) {
	bin, err := pgBin()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c := &cluster{dir: dir, bin: bin, port: port}
	if os.Geteuid() == 0 {
		c.asUser = "postgres"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if c.asUser != "" {
		u, err := user.Lookup(c.asUser)
		if err != nil {
			return nil, fmt.Errorf("postgres cluster: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	if out, err := c.tool(ctx, "initdb", "-D", dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"); err != nil {
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	if out, err := c.tool(ctx, "pg_ctl", "-D", dir, "-l", filepath.Join(dir, "server.log"), "-w", "-t", "60", "-o", c.serverOpts(), "start"); err != nil {
		return c, fmt.Errorf("pg_ctl start: %w: %s", err, out)
	}
	return c, nil
}

func (c *cluster) serverOpts() string {
	return fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c max_connections=200", c.port, c.dir)
}

func (c *cluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// restart is pg_ctl restart -m mode (fast: clients are disconnected and the
// server shuts down cleanly; immediate: it stops at once and recovers from its WAL).
func (c *cluster) restart(ctx context.Context, mode string) error {
	if out, err := c.tool(ctx, "pg_ctl", "-D", c.dir, "-l", filepath.Join(c.dir, "server.log"), "-w", "-t", "60", "-m", mode, "-o", c.serverOpts(), "restart"); err != nil {
		return fmt.Errorf("pg_ctl restart -m %s: %w: %s", mode, err, out)
	}
	return nil
}

// remove stops the server at once and deletes its files.
func (c *cluster) remove() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, _ = c.tool(ctx, "pg_ctl", "-D", c.dir, "-w", "-m", "immediate", "stop")
	_ = os.RemoveAll(c.dir)
}

func (c *cluster) tool(ctx context.Context, name string, args ...string) (string, error) {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.asUser != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// pgBin finds the folder of initdb and pg_ctl: PG_BIN, the PATH, or Debian's /usr/lib/postgresql/N/bin (newest).
func pgBin() (string, error) {
	if d := os.Getenv("PG_BIN"); d != "" {
		return d, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(a, b int) bool {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[a])))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[b])))
		return va < vb
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", fmt.Errorf("initdb not found: install PostgreSQL's server package or set PG_BIN")
}
