package flowtest

import (
	"context"
	"fmt"
	"time"

	"github.com/suarawarga/suarawarga/flows"
)

// EngineDriver plays a transcript against the pure engine, with a fake clock for the Wait timers.
type EngineDriver struct {
	Engine *flows.Engine
	Env    flows.Env
	Texts  flows.Translator

	flow  *flows.Flow
	state flows.State
	now   time.Duration
	// remindAt and expireAt are fake-clock deadlines; negative means no timer.
	remindAt, expireAt time.Duration
	out                []Rendered
}

var _ Driver = (*EngineDriver)(nil)

// NewEngineDriver starts a fresh conversation in lang ("id" when empty).
func NewEngineDriver(eng *flows.Engine, env flows.Env, tr flows.Translator, lang string) *EngineDriver {
	if lang == "" {
		lang = "id"
	}
	return &EngineDriver{Engine: eng, Env: env, Texts: tr, state: flows.State{Lang: lang}, remindAt: -1, expireAt: -1}
}

// State is the conversation's current state.
func (d *EngineDriver) State() flows.State { return d.state }

// Send steps the engine with one input and renders its effects.
func (d *EngineDriver) Send(ctx context.Context, in flows.Input) error {
	f, st, effs, err := d.Engine.Step(ctx, d.flow, d.state, in, d.Env)
	if err != nil {
		return err
	}
	d.flow, d.state = f, st
	for _, e := range effs {
		switch e := e.(type) {
		case flows.Wait:
			d.remindAt, d.expireAt = -1, -1
			if e.RemindAfter > 0 {
				d.remindAt = d.now + e.RemindAfter
			}
			if e.ExpireAfter > 0 {
				d.expireAt = d.now + e.ExpireAfter
			}
		case flows.Ended:
			d.remindAt, d.expireAt = -1, -1
		}
	}
	d.out = append(d.out, flows.Render(d.Texts, d.state.Lang, effs)...)
	return nil
}

// Advance moves the fake clock, firing the reminder and the expiry when they fall due.
func (d *EngineDriver) Advance(ctx context.Context, dur time.Duration) error {
	if dur < 0 {
		return fmt.Errorf("the clock cannot go back (%s)", dur)
	}
	target := d.now + dur
	for {
		switch {
		case d.remindAt >= 0 && d.remindAt <= target && (d.expireAt < 0 || d.remindAt < d.expireAt):
			d.now, d.remindAt = d.remindAt, -1
			if err := d.Send(ctx, flows.Input{Kind: flows.InputRemind}); err != nil {
				return err
			}
		case d.expireAt >= 0 && d.expireAt <= target:
			d.now, d.expireAt, d.remindAt = d.expireAt, -1, -1
			if err := d.Send(ctx, flows.Input{Kind: flows.InputExpire}); err != nil {
				return err
			}
		default:
			d.now = target
			return nil
		}
	}
}

// Take returns the messages rendered since the last Take.
func (d *EngineDriver) Take(context.Context) ([]Rendered, error) {
	out := d.out
	d.out = nil
	return out, nil
}
