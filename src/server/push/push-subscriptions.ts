// Saving and removing a reader's push subscriptions, after checking what the
// schema cannot: that the endpoint is a plain https URL and the keys are a P-256
// point and a 16-byte secret (a bad key would only fail later, at every push).
import { createECDH } from 'node:crypto';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { PushSubscriptionBody } from '../../protocol/push.js';
import { ChatError, validationFailed } from '../errors.js';
import type { PushStore } from '../storage/push-store.js';

function endpointProblem(endpoint: string): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'Invalid endpoint: not a URL';
  }
  if (url.protocol !== 'https:') return 'Invalid endpoint: must be https';
  if (url.username !== '' || url.password !== '') return 'Invalid endpoint: credentials in URL';
  return null;
}

function isP256Point(b64url: string): boolean {
  const bytes = Buffer.from(b64url, 'base64url');
  if (bytes.length !== 65 || bytes[0] !== 0x04) return false;
  try {
    // Throws for a point not on the curve.
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    ecdh.computeSecret(bytes);
    return true;
  } catch {
    return false;
  }
}

export class PushSubscriptions {
  constructor(private readonly store: PushStore) {}

  /** Saves the browser's subscription for `reader` (moving it from any other reader). */
  async subscribe(reader: string, body: PushSubscriptionBody): Promise<void> {
    const problem = endpointProblem(body.endpoint);
    if (problem) throw validationFailed(['body', 'endpoint'], problem, 'value_error');
    if (!isP256Point(body.keys.p256dh)) {
      throw validationFailed(
        ['body', 'keys', 'p256dh'],
        'Invalid p256dh: not an uncompressed P-256 public key',
        'value_error',
      );
    }
    if (Buffer.from(body.keys.auth, 'base64url').length !== 16) {
      throw validationFailed(['body', 'keys', 'auth'], 'Invalid auth: not 16 bytes', 'value_error');
    }
    await this.store.save({
      endpoint: body.endpoint,
      reader,
      p256dh: body.keys.p256dh,
      auth: body.keys.auth,
      created_at: new Date().toISOString(),
    });
  }

  /** Removes the reader's own subscription; 404 for an endpoint they do not own. */
  async unsubscribe(reader: string, endpoint: string): Promise<void> {
    if (!(await this.store.remove(endpoint, reader))) {
      throw new ChatError(ErrorCode.NOT_FOUND, 'No such push subscription', 404);
    }
  }
}
