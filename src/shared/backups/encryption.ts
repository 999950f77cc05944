/**
 * Backups encrypted with age (https://age-encryption.org), through the `age-encryption` package (typage, by the
 * format's authors): no cryptography of our own. Files are interoperable with the `age` CLI both ways.
 *
 * Streams only: the dump is encrypted as it leaves the dump tool, and decrypted as it enters the restore tool,
 * in 64 KiB chunks, so memory stays flat and the plaintext never touches the disk. The secret identity stays in
 * this process (no tool ever sees it: the restore tools read plaintext on stdin).
 *
 * age authenticates each 64 KiB chunk and marks the last one, so a tampered chunk fails where it is read and a
 * truncated file fails at its end. `checkDecrypts` reads a whole file through before a restore starts, so a
 * wrong key or a damaged file is refused before anything touches a database.
 */
import { createReadStream } from 'node:fs';
import { Duplex, PassThrough, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { bech32 } from '@scure/base';

/**
 * The age library (and its post-quantum curves) is about 1 MB of code: it is loaded only when a file is
 * encrypted or decrypted, not at every backup-db and rollback start. Keys are checked without it (bech32).
 */
const age = () => import('age-encryption');

/** The 32-byte payload of a bech32 string with this prefix (case-insensitive), or undefined. */
function bech32Key(text: string, prefix: string): Uint8Array | undefined {
  try {
    const { prefix: got, bytes } = bech32.decodeToBytes(text.toLowerCase());
    return got === prefix && bytes.length === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

export const AGE_SUFFIX = '.age';

/** What a recipient looks like (the library checks the checksum): `age1` and bech32 characters. */
const RECIPIENT_SHAPE = /^age1[02-9ac-hj-np-z]{20,}$/;
const IDENTITY_SHAPE = /^AGE-SECRET-KEY-(PQ-)?1[02-9AC-HJ-NP-Z]{20,}$/;

export class EncryptionError extends Error {
  override readonly name = 'EncryptionError';
}

/**
 * Validate age recipients (public keys). Returns the error text for the first bad one (never throws), so the
 * caller can name its input.
 */
export function recipientProblem(recipient: string): string | undefined {
  if (!RECIPIENT_SHAPE.test(recipient))
    return `${JSON.stringify(recipient.slice(0, 80))} is not an age recipient (a public key "age1…" as printed by age-keygen)`;
  // X25519 recipients are checked here (checksum, 32-byte key); hybrid (age1pq1…) ones when used.
  if (recipient.startsWith('age1pq1') || bech32Key(recipient, 'age')) return undefined;
  return `${JSON.stringify(recipient.slice(0, 80))} is not a valid age recipient (its checksum or length is wrong; copy the whole "age1…" line printed by age-keygen)`;
}

/**
 * The identities (secret keys) in `text`: one per line; blank lines and `#` comments (as in the file age-keygen
 * writes) are skipped. Returns an error text that never contains the secret when one is malformed.
 */
export function parseIdentities(text: string): { identities: string[]; problem?: string } {
  const identities: string[] = [];
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const [i, line] of lines.entries()) {
    const where = lines.length > 1 ? ` (key line ${i + 1})` : '';
    if (!IDENTITY_SHAPE.test(line))
      return {
        identities: [],
        problem: `it is not an age identity${where}: expected a secret key "AGE-SECRET-KEY-1…" as written by age-keygen (the value is not shown)`,
      };
    if (!line.startsWith('AGE-SECRET-KEY-PQ-') && !bech32Key(line, 'age-secret-key-')) {
      return {
        identities: [],
        problem: `it is not a valid age identity${where}: its checksum or length is wrong (the value is not shown)`,
      };
    }
    identities.push(line);
  }
  if (!identities.length)
    return { identities, problem: 'it holds no "AGE-SECRET-KEY-1…" line (the value is not shown)' };
  return { identities };
}

/** The public keys (recipients) of identities: to say which key a file needs without showing a secret. */
export async function recipientsOf(identities: readonly string[]): Promise<string[]> {
  const { identityToRecipient } = await age();
  return Promise.all(identities.map((i) => identityToRecipient(i)));
}

/** A Node readable as a web stream that pulls (so backpressure holds: one chunk in flight). */
function toWeb(source: Readable): WebReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await it.next();
        if (next.done) controller.close();
        else controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.length));
      },
      async cancel(reason) {
        await it.return?.(reason);
      },
    },
    { highWaterMark: 0 },
  ) as WebReadableStream<Uint8Array>;
}

function fromWeb(stream: ReadableStream<Uint8Array>): Readable {
  return Readable.fromWeb(stream as WebReadableStream<Uint8Array>, { highWaterMark: 1 << 16 });
}

/**
 * A duplex stream: plaintext written in, the age file (for all `recipients`) read out. Put it between the dump
 * tool's stdout and the file.
 */
export async function encryptingStream(recipients: readonly string[]): Promise<Duplex> {
  if (!recipients.length) throw new EncryptionError('No age recipient to encrypt to.');
  const { Encrypter } = await age();
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  const input = new PassThrough({ highWaterMark: 1 << 16 });
  const encrypted = await e.encrypt(toWeb(input) as unknown as ReadableStream<Uint8Array>);
  return Duplex.from({ writable: input, readable: fromWeb(encrypted) });
}

/** Describe a library failure as the on-call engineer needs it. */
function explain(file: string, e: unknown, stage: 'header' | 'payload' | 'end'): EncryptionError {
  const msg = e instanceof Error ? e.message : String(e);
  if (stage === 'header') {
    if (/no identity matched/i.test(msg))
      return new EncryptionError(
        `Cannot decrypt ${file}: the decrypt-identity is not one of the keys it was encrypted to (wrong key).`,
      );
    return new EncryptionError(
      `Cannot decrypt ${file}: its age header is invalid (${msg.slice(0, 120)}): it is not an age file, or it was damaged or tampered with.`,
    );
  }
  // age marks the last chunk: a file cut short fails on the chunk it ends with.
  return new EncryptionError(
    `Cannot decrypt ${file}: ${
      stage === 'end' || /final chunk|last chunk|too small|size is invalid|empty/i.test(msg)
        ? 'it ends early (the file is truncated: a partial upload or download), or its last chunk was damaged'
        : 'a chunk fails authentication (the file was damaged or tampered with)'
    } (${msg.slice(0, 120)}).`,
  );
}

/**
 * The plaintext of the age file `file`, as a readable stream. Resolves once the header is read, so a wrong
 * identity fails here; a tampered chunk or a truncated file makes the stream error where it is reached, with an
 * EncryptionError.
 */
export async function openDecrypted(file: string, identities: readonly string[]): Promise<Readable> {
  const { Decrypter } = await age();
  const d = new Decrypter();
  for (const i of identities) d.addIdentity(i);
  const source = createReadStream(file, { highWaterMark: 1 << 16 });
  let sourceEnded = false;
  source.once('end', () => (sourceEnded = true));
  let plain: ReadableStream<Uint8Array>;
  try {
    plain = await d.decrypt(toWeb(source) as unknown as ReadableStream<Uint8Array>);
  } catch (e) {
    source.destroy();
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw e;
    throw explain(file, e, 'header');
  }
  const out = fromWeb(plain);
  // Re-raise the library's error as ours, once.
  const wrapped = new PassThrough({ highWaterMark: 1 << 16 });
  out.on('error', (e) => wrapped.destroy(explain(file, e, sourceEnded ? 'end' : 'payload')));
  wrapped.on('close', () => {
    if (!out.destroyed) out.destroy();
  });
  out.pipe(wrapped);
  return wrapped;
}

/**
 * Read the whole age file through (decrypting and authenticating every chunk, discarding the plaintext):
 * throws an EncryptionError for a wrong identity, a tampered chunk or a truncated file. Returns the plaintext
 * size.
 */
export async function checkDecrypts(file: string, identities: readonly string[]): Promise<number> {
  const plain = await openDecrypted(file, identities);
  let size = 0;
  for await (const chunk of plain) size += (chunk as Buffer).length;
  return size;
}
