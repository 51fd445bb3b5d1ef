// Issue 11, item 5: only what is needed leaves. Over every sample the decoder knows, no exported
// value (body, attributes, metric labels, a decode error) carries a credential of the input:
// keystonemiddleware's partly masked initiator.credential.token, a password, a signed URL's
// signature.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactQuery } from '../../src/cadf/query.js';
import { inspectMessage } from '../../src/commands/inspect.js';
import { cases, SHARED_SAMPLES } from '../support/testdata.js';

const SECRET_KEYS = /^(token|password|secret|original_password|temp_url_sig|signature|x-amz-signature|x-amz-credential|credential_secret|access_token|refresh_token)$/i;
const SECRET_PARAMS = /(?:^|[?&])(temp_url_sig|signature|x-amz-signature|x-amz-credential|token|sig)=([^&"]+)/gi;

/** The secrets an input holds: values under secret-looking keys (oslo.message unwrapped), query signatures. */
function secretsOf(text: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key?: string): void => {
    if (typeof v === 'string') {
      if (key === 'oslo.message') {
        try {
          walk(JSON.parse(v));
        } catch {
          /* not JSON: nothing to unwrap */
        }
        return;
      }
      if (key !== undefined && SECRET_KEYS.test(key)) out.push(...v.split(/\s+x+\s+|\*{3}/).filter((p) => p.length >= 6));
      for (const m of v.matchAll(SECRET_PARAMS)) if (m[2]!.length >= 6) out.push(m[2]!);
      return;
    }
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  try {
    walk(JSON.parse(text));
  } catch {
    /* an undecodable case: its error output is still checked for the shapes below */
  }
  return out;
}

/** Shapes of credentials whatever the input: Fernet and PKI tokens, a middleware-masked token. */
const CREDENTIAL_SHAPES = [/gAAAAA[\w-]{16,}/, /MII[A-Za-z0-9+/]{20,}/, /[\w-]{12,} x{4,} [\w-]{12,}/];

function inputs(): Array<{ name: string; text: string }> {
  const ours = ['samples', 'cornercases', 'errors'].flatMap((d) => cases(d).map((c) => ({ name: `${d}/${c.name}`, text: c.body.toString('utf8') })));
  const shared = existsSync(SHARED_SAMPLES)
    ? readdirSync(SHARED_SAMPLES)
        .filter((f) => f.endsWith('.json'))
        .map((f) => ({ name: `shared/${f}`, text: readFileSync(join(SHARED_SAMPLES, f), 'utf8') }))
    : [];
  return [...ours, ...shared];
}

describe('no exported value looks like a credential', () => {
  const all = inputs();

  it('the samples do hold credentials (or this test shows nothing)', () => {
    const withSecrets = all.filter((i) => secretsOf(i.text).length > 0);
    // The masked tokens of real keystonemiddleware captures, and the signed-URL corner case.
    expect(withSecrets.length).toBeGreaterThanOrEqual(4);
    expect(withSecrets.map((i) => i.name)).toContain('cornercases/api-query-credentials.bin');
  });

  it.each(all.map((i) => [i.name, i] as const))('%s', (_name, input) => {
    const out = JSON.stringify(inspectMessage(input.name, Buffer.from(input.text)));
    for (const secret of secretsOf(input.text)) expect(out, `exports ${secret}`).not.toContain(secret);
    for (const shape of CREDENTIAL_SHAPES) expect(out).not.toMatch(shape);
  });
});

describe('query strings', () => {
  it('keep the values of the allow-listed parameters and redact the rest, names kept', () => {
    expect(redactQuery('limit=20&marker=abc&temp_url_sig=s1g&temp_url_expires=1&X-Amz-Signature=x&detail')).toBe(
      'limit=20&marker=abc&temp_url_sig=REDACTED&temp_url_expires=1&X-Amz-Signature=REDACTED&detail',
    );
    expect(redactQuery('all_tenants=1&format=json')).toBe('all_tenants=1&format=json');
    expect(redactQuery('unknown_new_param=value')).toBe('unknown_new_param=REDACTED');
    expect(redactQuery('bad%ZZ=1&Limit=3')).toBe('bad%ZZ=REDACTED&Limit=3');
    expect(redactQuery('')).toBe('');
  });
});
