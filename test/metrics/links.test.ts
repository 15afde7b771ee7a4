import { describe, expect, it } from 'vitest';
import { CtpLinkMeter } from '../../src/metrics/links.js';

describe('CtpLinkMeter', () => {
  it('counts links up, down and refused by reason, and gives the silence in seconds', () => {
    const m = new CtpLinkMeter();
    expect(m.read(0)).toEqual({
      ctp_link_events_total: [{ event: 'up', value: 0 }],
      ctp_heartbeat_age_seconds: 0,
    });
    m.linkUp();
    m.linkUp();
    m.linkDown('dead');
    m.linkDown('closed');
    m.linkDown('dead');
    m.linkRefused('max-connections');
    expect(m.read(2500)).toEqual({
      ctp_link_events_total: [
        { event: 'up', value: 2 },
        { event: 'down', reason: 'dead', value: 2 },
        { event: 'down', reason: 'closed', value: 1 },
        { event: 'refused', reason: 'max-connections', value: 1 },
      ],
      ctp_heartbeat_age_seconds: 2.5,
    });
  });
});
