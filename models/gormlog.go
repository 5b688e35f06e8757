package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// sqlLogger is gorm's logger for the bot: a statement is logged only when it
// fails (not for "record not found") or is slower than slow, and its text is
// built only then. gorm's own slog logger renders every statement's text
// first, which cost about 6 % of the bot's CPU per inbound message. The text
// never carries parameter values: they may hold what citizens wrote.
type sqlLogger struct {
	log  *slog.Logger
	slow time.Duration
}

var _ logger.Interface = sqlLogger{}
var _ gorm.ParamsFilter = sqlLogger{}

func (l sqlLogger) LogMode(logger.LogLevel) logger.Interface { return l }

func (l sqlLogger) Info(ctx context.Context, msg string, args ...any) {
	l.log.InfoContext(ctx, fmt.Sprintf(msg, args...))
}

func (l sqlLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(msg, args...))
}

func (l sqlLogger) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, fmt.Sprintf(msg, args...))
}

func (l sqlLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	failed := err != nil && !errors.Is(err, gorm.ErrRecordNotFound)
	if !failed && elapsed <= l.slow {
		return
	}
	sql, rows := fc()
	attrs := []any{slog.String("sql", sql), slog.Int64("rows", rows), slog.Duration("duration", elapsed)}
	if failed {
		l.log.ErrorContext(ctx, "SQL failed", append(attrs, slog.Any("error", err))...)
		return
	}
	l.log.WarnContext(ctx, "SQL slow", attrs...)
}

// ParamsFilter drops the parameters from the logged text.
func (sqlLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}
