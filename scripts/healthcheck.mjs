// The image's HEALTHCHECK: GET /readyz on loopback. With a web config (metrics.webConfigFile),
// set CADF_HEALTHCHECK_SCHEME=https and CADF_HEALTHCHECK_AUTH=user:password; the server
// certificate is not verified (it is the container's own loopback: this checks life, not
// identity). Under client_auth_type RequireAndVerifyClientCert it cannot pass: see
// docs/metrics-security.md. Plain JavaScript, node's own modules: no curl or wget in the image.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Buffer } from 'node:buffer';

const https = process.env.CADF_HEALTHCHECK_SCHEME === 'https';
const auth = process.env.CADF_HEALTHCHECK_AUTH;
const req = (https ? httpsRequest : httpRequest)(
  {
    host: '127.0.0.1',
    port: Number(process.env.CADF_METRICS_PORT || 9464),
    path: '/readyz',
    headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {},
    rejectUnauthorized: false,
    timeout: 2500,
  },
  (res) => process.exit(res.statusCode === 200 ? 0 : 1),
);
req.on('error', () => process.exit(1));
req.on('timeout', () => process.exit(1));
req.end();
