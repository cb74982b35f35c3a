package platform

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"go-micro.dev/v5/logger"
)

// NewLogger returns a logger writing JSON lines to w.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// microLogger hands go-micro's own log lines to slog, so a service writes one
// structured stream.
type microLogger struct {
	log *slog.Logger
}

var _ logger.Logger = (*microLogger)(nil)

func newMicroLogger(log *slog.Logger) *microLogger {
	return &microLogger{log: log.With("component", "go-micro")}
}

func (l *microLogger) Init(...logger.Option) error { return nil }
func (l *microLogger) Options() logger.Options     { return logger.Options{} }
func (l *microLogger) String() string              { return "slog" }

func (l *microLogger) Fields(fields map[string]any) logger.Logger {
	args := make([]any, 0, 2*len(fields))
	for k, v := range fields {
		args = append(args, k, v)
	}
	return &microLogger{log: l.log.With(args...)}
}

func (l *microLogger) Log(level logger.Level, v ...any) {
	l.log.Log(context.Background(), slogLevel(level), fmt.Sprint(v...))
}

func (l *microLogger) Logf(level logger.Level, format string, v ...any) {
	l.log.Log(context.Background(), slogLevel(level), fmt.Sprintf(format, v...))
}

func slogLevel(level logger.Level) slog.Level {
	switch {
	case level <= logger.DebugLevel:
		return slog.LevelDebug
	case level == logger.InfoLevel:
		return slog.LevelInfo
	case level == logger.WarnLevel:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}
