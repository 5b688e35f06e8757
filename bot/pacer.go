package bot

import "context"

// Pacers routes Pacer.Wait to the pacer of each channel, so every adapter with
// platform limits can pace the one Deliverer; a channel without one is not paced.
type Pacers map[string]Pacer

var _ Pacer = Pacers(nil)

// Wait waits on the pacer registered for channel, if any.
func (p Pacers) Wait(ctx context.Context, channel, chatID string) error {
	if pc, ok := p[channel]; ok && pc != nil {
		return pc.Wait(ctx, channel, chatID)
	}
	return ctx.Err()
}
