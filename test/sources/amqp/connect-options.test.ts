import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { brokerTargets } from '../../../src/sources/amqp/connect-options.js';

describe('brokerTargets', () => {
  it('adds the heartbeat, hides the password, and gives TLS options to amqps only', () => {
    const cfg = loadConfig({
      env: {
        CADF_AMQP_URL: 'amqp://u:secret@h1:5672/vhost,amqps://u:secret@h2:5671/',
        CADF_AMQP_TLS_CA: '/etc/hostname',
        CADF_AMQP_HEARTBEAT: '15',
      },
      defaultFile: '/nonexistent.json',
    });
    const [plain, tls] = brokerTargets(cfg.amqp);
    expect(plain!.url).toBe('amqp://u:secret@h1:5672/vhost?heartbeat=15');
    expect(plain!.address).toBe('amqp://h1:5672/vhost');
    expect(plain!.socketOptions).not.toHaveProperty('ca');
    expect(tls!.address).toBe('amqps://h2:5671/');
    expect(tls!.socketOptions).toMatchObject({ servername: 'h2', rejectUnauthorized: true });
    expect((tls!.socketOptions.ca as Buffer[])[0]).toBeInstanceOf(Buffer);
  });
});
