// What the web page's forms may send, checked before anything is done with it. Each check returns the clean
// value or throws InvalidInput with a message meant for the person at the form; the server answers 400 with
// it and changes nothing. The daemon and the SSB peer check again on their side.
import { BLOB_ID, FEED_ID } from '../ssb/ids.js';
import { validatePassphrase, validateSsid } from '../wifi/config-gen.js';

export class InvalidInput extends Error {
  override name = 'InvalidInput';
}

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
export const MAX_POST_LENGTH = 4000;

export function isBlobId(value: unknown): value is string {
  return typeof value === 'string' && BLOB_ID.test(value);
}

export function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new InvalidInput('the request body must be a JSON object');
  return body as Record<string, unknown>;
}

const short = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

/** A person's SSB id, e.g. @FCX/tsDLpubCPKKfIrw4gc+SQkHcaD17s7GI6i/ziWY=.ed25519 (spaces around are dropped). */
export function feedIdField(value: unknown): string {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === ''))
    throw new InvalidInput('enter an SSB id (it starts with @ and ends with .ed25519)');
  if (typeof value !== 'string') throw new InvalidInput('the SSB id must be text');
  const id = value.trim();
  if (!FEED_ID.test(id))
    throw new InvalidInput(`${short(id)} is not an SSB id: expected @, 44 base64 characters, then .ed25519`);
  return id;
}

export function macField(value: unknown): string {
  if (typeof value !== 'string' || !MAC.test(value))
    throw new InvalidInput('expected a device address (MAC) like 02:00:00:00:01:00');
  return value.toLowerCase();
}

/**
 * A network name. On top of the daemon's rules (1–32 bytes, no control characters or newlines, no quotes or
 * backslashes, no spaces at the ends), the page refuses < and >: a name that looks like markup is shown by
 * every phone that scans for networks, and nobody needs one.
 */
export function ssidField(value: unknown): string {
  if (value === undefined || value === null || value === '') throw new InvalidInput('enter a network name (SSID)');
  if (typeof value !== 'string') throw new InvalidInput('the network name (SSID) must be text');
  if (/[<>]/.test(value)) throw new InvalidInput('the network name (SSID) must not contain < or >');
  try {
    return validateSsid(value);
  } catch (error) {
    throw new InvalidInput((error as Error).message);
  }
}

export function passphraseField(value: unknown): string {
  if (value === undefined || value === null || value === '') throw new InvalidInput('enter a passphrase');
  try {
    return validatePassphrase(value);
  } catch (error) {
    throw new InvalidInput((error as Error).message);
  }
}

export function booleanField(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new InvalidInput(`${name} must be true or false`);
  return value;
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw new InvalidInput(`${name} must be one of: ${allowed.join(', ')}`);
  return value as T;
}

export function ssidListField(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > 64 || !value.every((s) => typeof s === 'string' && s.length <= 64))
    throw new InvalidInput('the order must be a list of network names');
  return value as string[];
}

/**
 * A post's text: any characters a person types (markup included: it is shown as text, never as HTML), at
 * most 4000, control characters other than newlines and tabs removed. May be empty when a photo is posted.
 */
export function postTextField(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new InvalidInput('the text must be text');
  const text = value.replace(/\r\n?/g, '\n').replace(/[^\P{Cc}\n\t]/gu, '');
  if ([...text].length > MAX_POST_LENGTH)
    throw new InvalidInput(`the text is too long: at most ${MAX_POST_LENGTH} characters`);
  return text.trim();
}

export function photoNameField(value: unknown): string {
  if (typeof value !== 'string') return 'photo';
  const name = value
    .replace(/[\p{Cc}\p{Cf}[\]()<>]/gu, '')
    .trim()
    .slice(0, 100);
  return name === '' ? 'photo' : name;
}
