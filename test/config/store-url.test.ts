// enrich.storeUrl: a database URL of a known scheme, and a secret.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { redactConfig } from '../../src/config/redact.js';

describe('enrich.storeUrl', () => {
  it.each(['mysql://cadf:pw@db:3306/cadf', 'mariadb://cadf:pw@db/cadf', 'postgres://cadf:pw@db:5432/cadf', 'postgresql://db/cadf?sslmode=require', ''])(
    'accepts %j',
    (url) => {
      expect(loadConfig({ env: { CADF_ENRICH_STORE_URL: url } }).enrich.storeUrl).toBe(url);
    },
  );

  it.each([
    ['http://db/cadf', /mysql:\/\/.*not http:/],
    ['db:3306', /mysql:\/\/.*not db:/],
    ['not a url', /mysql:\/\//],
  ])('refuses %j', (url, message) => {
    expect(() => loadConfig({ env: { CADF_ENRICH_STORE_URL: url } })).toThrow(message);
  });

  it('is masked when the configuration is printed or logged', () => {
    const c = loadConfig({ env: { CADF_ENRICH_STORE_URL: 'mysql://cadf:s3cret@db:3306/cadf' } });
    const text = JSON.stringify(redactConfig(c));
    expect(text).not.toContain('s3cret');
    expect(text).toContain('mysql://cadf:***@db:3306/cadf');
  });
});
