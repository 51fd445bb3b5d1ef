/**
 * Why a connection failed, in one line an operator can act on. Node's TLS errors name the check
 * that failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE) but not the setting that fixes it.
 */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

export function describeConnectError(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e?.code ?? '';
  const message = (e?.message ?? String(err)).split('\n')[0]!;
  if (UNTRUSTED.has(code)) {
    return `TLS: the broker's certificate is not signed by a trusted CA (${code}): set amqp.tls.ca (CADF_AMQP_TLS_CA) to the PEM file of the CA that signed it`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `TLS: the broker's certificate is not valid for this host name (${message}): connect with a name in its subjectAltName`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `TLS: the broker's certificate is out of its validity period (${code})`;
  // The broker ended the handshake: most often it requires a client certificate we did not send.
  if (/certificate required|handshake failure|alert number 116/i.test(message)) {
    return `TLS: the broker refused the handshake (${message}): it may require a client certificate, amqp.tls.cert and amqp.tls.key (CADF_AMQP_TLS_CERT, CADF_AMQP_TLS_KEY)`;
  }
  if (/ACCESS_REFUSED|403/.test(message)) return `the broker refused the credentials (${message}): check the user and password of amqp.url, or the client certificate's user with EXTERNAL`;
  return message;
}
