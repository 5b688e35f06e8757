package bot

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
)

// PanicHandler is told about an inbound message whose handler panicked, so the
// person can get an apology and the message is recorded as failed rather than lost.
type PanicHandler interface {
	HandlePanic(ctx context.Context, in Inbound, recovered any) error
}

// Dispatcher runs one chat's messages strictly in order and different chats in
// parallel, and turns a panicking handler into a log line and an apology.
type Dispatcher struct {
	handler InboundHandler
	onPanic PanicHandler
	log     *slog.Logger
	sem     chan struct{}

	mu     sync.Mutex
	queues map[string]*chatQueue
}

type job struct {
	ctx  context.Context
	in   Inbound
	done chan error
}

type chatQueue struct {
	pending []job
}

// NewDispatcher wraps h. parallel bounds how many chats are handled at once.
func NewDispatcher(h InboundHandler, onPanic PanicHandler, parallel int, log *slog.Logger) *Dispatcher {
	if parallel < 1 {
		parallel = 1
	}
	if log == nil {
		log = slog.Default()
	}
	return &Dispatcher{handler: h, onPanic: onPanic, log: log, sem: make(chan struct{}, parallel), queues: map[string]*chatQueue{}}
}

// Dispatch queues in behind the earlier messages of the same chat and returns a
// channel that receives the handler's result once the message is committed.
func (d *Dispatcher) Dispatch(ctx context.Context, in Inbound) <-chan error {
	j := job{ctx: ctx, in: in, done: make(chan error, 1)}
	key := in.Channel + "\x00" + in.ChatID
	d.mu.Lock()
	q, running := d.queues[key]
	if !running {
		q = &chatQueue{}
		d.queues[key] = q
	}
	q.pending = append(q.pending, j)
	d.mu.Unlock()
	if !running {
		go d.drain(key, q)
	}
	return j.done
}

// HandleInbound dispatches in and waits for its result; adapters call it and
// acknowledge the message to their platform only when it returns nil.
func (d *Dispatcher) HandleInbound(ctx context.Context, in Inbound) error {
	select {
	case err := <-d.Dispatch(ctx, in):
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *Dispatcher) drain(key string, q *chatQueue) {
	for {
		d.mu.Lock()
		if len(q.pending) == 0 {
			delete(d.queues, key)
			d.mu.Unlock()
			return
		}
		j := q.pending[0]
		q.pending = q.pending[1:]
		d.mu.Unlock()

		d.sem <- struct{}{}
		j.done <- d.run(j.ctx, j.in)
		<-d.sem
	}
}

func (d *Dispatcher) run(ctx context.Context, in Inbound) (err error) {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		d.log.Error("inbound handler panicked", slog.String("channel", in.Channel), slog.String("message_ref", LogRef(in.MessageID)),
			slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
		if d.onPanic == nil {
			err = fmt.Errorf("handler panicked: %v", r)
			return
		}
		err = d.onPanic.HandlePanic(ctx, in, r)
	}()
	return d.handler.HandleInbound(ctx, in)
}
