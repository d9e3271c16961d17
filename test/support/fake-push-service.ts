// A push service for tests: a local HTTPS server (self-signed certificate in
// push-tls/, trusted through the agent it hands to the app) that keeps what it
// receives, and a browser's side of a subscription that decrypts it (RFC 8291,
// aes128gcm) and checks the VAPID signature (RFC 8292) like a real push service.
import {
  createDecipheriv,
  createECDH,
  createPublicKey,
  type ECDH,
  hkdfSync,
  randomBytes,
  verify,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { PushSubscriptionBody } from '../../src/protocol/push.js';

const tls = (name: string) => readFileSync(new URL(`./push-tls/${name}`, import.meta.url));

export interface ReceivedPush {
  /** The path the server posted to (one per subscription). */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A browser's subscription: the keys only it holds, and its endpoint at the fake service. */
export class FakeBrowser {
  private readonly ecdh: ECDH = createECDH('prime256v1');
  readonly auth = randomBytes(16);

  constructor(readonly endpoint: string) {
    this.ecdh.generateKeys();
  }

  get path(): string {
    return new URL(this.endpoint).pathname;
  }

  /** `PushSubscription.toJSON()`. */
  subscription(): PushSubscriptionBody {
    return {
      endpoint: this.endpoint,
      expirationTime: null,
      keys: {
        p256dh: this.ecdh.getPublicKey().toString('base64url'),
        auth: this.auth.toString('base64url'),
      },
    };
  }

  /** Decrypts an aes128gcm body (one record) as the browser does. */
  decrypt(body: Buffer): string {
    const salt = body.subarray(0, 16);
    const idLength = body.readUInt8(20);
    const serverPublic = body.subarray(21, 21 + idLength);
    const ciphertext = body.subarray(21 + idLength);
    const uaPublic = this.ecdh.getPublicKey();
    const secret = this.ecdh.computeSecret(serverPublic);
    const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, serverPublic]);
    const ikm = Buffer.from(hkdfSync('sha256', secret, this.auth, keyInfo, 32));
    const cek = Buffer.from(hkdfSync('sha256', ikm, salt, 'Content-Encoding: aes128gcm\0', 16));
    const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, 'Content-Encoding: nonce\0', 12));
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    const padded = Buffer.concat([
      decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
      decipher.final(),
    ]);
    // the last record ends with the delimiter 0x02, then zero padding
    let end = padded.length - 1;
    while (end >= 0 && padded[end] === 0) end--;
    if (padded[end] !== 2) throw new Error('no last-record delimiter');
    return padded.subarray(0, end).toString('utf8');
  }
}

/**
 * Checks `Authorization: vapid t=<JWT>, k=<public key>`: the key is `publicKey`,
 * the token is signed by it (ES256), for the endpoint's origin, not expired.
 */
export function checkVapid(authorization: string, publicKey: string, endpoint: string): void {
  const match = /^vapid t=([^,\s]+), k=(\S+)$/.exec(authorization);
  if (!match) throw new Error(`not a VAPID header: ${authorization}`);
  const [, token = '', key = ''] = match;
  if (key !== publicKey) throw new Error('signed with another key');
  const [header = '', claims = '', signature = ''] = token.split('.');
  const point = Buffer.from(publicKey, 'base64url');
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
  };
  const valid = verify(
    'sha256',
    Buffer.from(`${header}.${claims}`),
    { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
  if (!valid) throw new Error('bad VAPID signature');
  const body = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as {
    aud: string;
    exp: number;
    sub: string;
  };
  if (body.aud !== new URL(endpoint).origin) throw new Error(`audience ${body.aud}`);
  if (body.exp * 1000 < Date.now()) throw new Error('expired');
}

/** The push service: records every request; answers 201, or a status set per path. */
export class FakePushService {
  readonly received: ReceivedPush[] = [];
  /** Status to answer per path (default 201 Created). */
  readonly status = new Map<string, number>();
  /** Trusts this service's certificate: give it to the app as `pushAgent`. */
  readonly agent = new https.Agent({ ca: tls('cert.pem') });
  private readonly server = https.createServer(
    { key: tls('key.pem'), cert: tls('cert.pem') },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(this.status.get(path) ?? 201).end();
      });
    },
  );
  private origin = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** A new browser subscribed at this service. */
  browser(): FakeBrowser {
    return new FakeBrowser(`${this.origin}/push/${randomBytes(8).toString('hex')}`);
  }

  /** What was sent to this browser so far. */
  to(browser: FakeBrowser): ReceivedPush[] {
    return this.received.filter((r) => r.path === browser.path);
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
