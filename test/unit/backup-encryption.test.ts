/**
 * shared/backups: age encryption streams (round trips, multiple recipients, a wrong key, tampered, truncated
 * and foreign files), recipient and identity parsing that never echoes a secret; the deploy hand-off parsing;
 * backup-db list helpers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import {
  checkDecrypts,
  encryptingStream,
  EncryptionError,
  openDecrypted,
  parseIdentities,
  recipientProblem,
  recipientsOf,
} from '../../src/shared/backups/encryption.js';
import { backupArtifactName, parseBackupHandoff } from '../../src/shared/backups/handoff.js';
import { isBackupArtifact, shortAge } from '../../src/backup-db/list.js';
import { ConfigurationError } from '../../src/core/errors.js';

async function keyPair() {
  const identity = await generateIdentity();
  return { identity, recipient: await identityToRecipient(identity) };
}

const dir = mkdtempSync(path.join(tmpdir(), 'age-unit-'));
let n = 0;
async function encryptToFile(plain: Buffer, recipients: string[]): Promise<string> {
  const file = path.join(dir, `f${n++}.age`);
  await pipeline(Readable.from([plain]), await encryptingStream(recipients), createWriteStream(file));
  return file;
}
async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('age encryption streams', () => {
  it('round trip of a multi-chunk file, for each of several recipients', async () => {
    const a = await keyPair();
    const b = await keyPair();
    const plain = randomBytes(5 * 65536 + 123);
    const file = await encryptToFile(plain, [a.recipient, b.recipient]);
    assert.equal(readFileSync(file).subarray(0, 21).toString(), 'age-encryption.org/v1');
    for (const k of [a, b]) assert.deepEqual(await readAll(await openDecrypted(file, [k.identity])), plain);
    assert.equal(await checkDecrypts(file, [b.identity]), plain.length);
    assert.deepEqual(await recipientsOf([a.identity]), [a.recipient]);
  });

  it('an empty dump round-trips', async () => {
    const k = await keyPair();
    const file = await encryptToFile(Buffer.alloc(0), [k.recipient]);
    assert.equal(await checkDecrypts(file, [k.identity]), 0);
  });

  it('a wrong identity fails when the file is opened, saying so', async () => {
    const k = await keyPair();
    const other = await keyPair();
    const file = await encryptToFile(randomBytes(1000), [k.recipient]);
    await assert.rejects(openDecrypted(file, [other.identity]), (e: unknown) => {
      assert.ok(e instanceof EncryptionError);
      assert.match(e.message, /not one of the keys it was encrypted to \(wrong key\)/);
      assert.ok(!e.message.includes(other.identity));
      return true;
    });
  });

  it('a tampered middle chunk and a truncated file fail with what happened', async () => {
    const k = await keyPair();
    const file = await encryptToFile(randomBytes(6 * 65536), [k.recipient]);
    const tampered = `${file}.tampered`;
    const b = readFileSync(file);
    b[Math.floor(b.length / 3)] ^= 0x01;
    writeFileSync(tampered, b);
    await assert.rejects(
      checkDecrypts(tampered, [k.identity]),
      /a chunk fails authentication \(the file was damaged or tampered with\)/,
    );
    const truncated = `${file}.truncated`;
    writeFileSync(truncated, readFileSync(file));
    truncateSync(truncated, statSync(truncated).size - 5000);
    await assert.rejects(checkDecrypts(truncated, [k.identity]), /it ends early \(the file is truncated/);
    // Cut exactly at a chunk boundary: the last chunk flag is missing.
    const header = readFileSync(file).indexOf('\n---') + 1;
    const boundary = `${file}.boundary`;
    writeFileSync(boundary, readFileSync(file));
    const headerEnd = readFileSync(file).indexOf(0x0a, header) + 1 + 16; // header line, then the 16-byte nonce
    truncateSync(boundary, headerEnd + 2 * (65536 + 16));
    await assert.rejects(checkDecrypts(boundary, [k.identity]), /it ends early/);
  });

  it('a file that is not age fails clearly', async () => {
    const k = await keyPair();
    const file = path.join(dir, 'plain.dump');
    writeFileSync(file, 'PGDMP not encrypted');
    await assert.rejects(openDecrypted(file, [k.identity]), /its age header is invalid/);
  });

  it('decrypts as a stream, piped into a file', async () => {
    const k = await keyPair();
    const plain = randomBytes(3 * 65536);
    const file = await encryptToFile(plain, [k.recipient]);
    const out = path.join(dir, 'out.bin');
    await pipeline(await openDecrypted(file, [k.identity]), createWriteStream(out));
    assert.deepEqual(readFileSync(out), plain);
  });
});

describe('recipients and identities', () => {
  it('accepts age1 recipients, refuses anything else with the value shown (public keys are not secret)', async () => {
    const k = await keyPair();
    assert.equal(recipientProblem(k.recipient), undefined);
    assert.match(recipientProblem('ssh-ed25519 AAAA')!, /"ssh-ed25519 AAAA" is not an age recipient/);
    const bad = k.recipient.slice(0, -1) + (k.recipient.endsWith('q') ? 'p' : 'q');
    assert.match(recipientProblem(bad)!, /is not a valid age recipient \(its checksum or length is wrong/);
  });

  it('reads the key file age-keygen writes (comments skipped); never shows a bad secret', async () => {
    const k = await keyPair();
    const fileText = `# created: 2026-12-01T00:00:00Z\n# public key: ${k.recipient}\n${k.identity}\n`;
    assert.deepEqual(parseIdentities(fileText), { identities: [k.identity] });
    const broken = k.identity.slice(0, -2) + 'QQ';
    for (const text of [broken, 'hunter2-not-a-key', '# only a comment\n']) {
      const r = parseIdentities(text);
      assert.deepEqual(r.identities, []);
      assert.ok(r.problem);
      assert.ok(!r.problem.includes(text.trim()) || text.startsWith('#'), r.problem);
      assert.ok(!r.problem.includes('hunter2'));
    }
  });
});

describe('deploy hand-off', () => {
  const manifest = {
    file: 'shop-production-20261201T230000Z.dump.age',
    sha256: 'c'.repeat(64),
    createdAt: '2026-12-01T23:00:00.000Z',
    environment: 'production',
    run: { id: '555' },
    encrypted: true,
  };
  const o = { inputName: 'backup', environment: 'production', workspace: dir };

  it('reads a manifest path (relative to the workspace) or JSON; derives the artifact name', () => {
    writeFileSync(path.join(dir, 'm.manifest.json'), JSON.stringify({ ...manifest, extra: 1 }));
    const want = {
      artifact: 'backup-production-555',
      runId: 555,
      file: manifest.file,
      sha256: manifest.sha256,
      encrypted: true,
      createdAt: manifest.createdAt,
    };
    assert.deepEqual(parseBackupHandoff('m.manifest.json', o), want);
    assert.deepEqual(parseBackupHandoff(JSON.stringify(manifest), o), want);
    assert.deepEqual(
      parseBackupHandoff(JSON.stringify({ ...manifest, run: undefined }), { ...o, runId: '9' }).runId,
      9,
    );
    assert.equal(
      parseBackupHandoff(JSON.stringify(manifest), { ...o, artifact: 'custom-name' }).artifact,
      'custom-name',
    );
    assert.equal(backupArtifactName('staging', 7), 'backup-staging-7');
  });

  it('refuses what is not a manifest, another environment, no run, a bad artifact name', () => {
    const bad: [string, Partial<typeof o> & { artifact?: string }, RegExp][] = [
      ['{"file":"x"}', {}, /Input "backup": the JSON given is not a backup-db manifest/],
      [JSON.stringify({ ...manifest, environment: 'staging' }), {}, /taken for the environment "staging"/],
      [JSON.stringify({ ...manifest, run: undefined }), {}, /names no workflow run/],
      [JSON.stringify(manifest), { artifact: 'a/b' }, /Input "backup": "a\/b" is not an artifact name/],
    ];
    for (const [value, extra, message] of bad)
      assert.throws(
        () => parseBackupHandoff(value, { ...o, ...extra }),
        (e: unknown) => e instanceof ConfigurationError && message.test(e.message),
      );
  });
});

describe('backup-db list helpers', () => {
  it('matches backup-<environment>-<run id> only', () => {
    assert.ok(isBackupArtifact('backup-production-123', 'production'));
    assert.ok(isBackupArtifact('backup-production-123-2', 'production'));
    assert.ok(!isBackupArtifact('backup-production-eu-123', 'production'));
    assert.ok(!isBackupArtifact('backup-production-', 'production'));
  });
  it('ages as a person reads them', () => {
    assert.deepEqual([30, 600, 5 * 3600, 30 * 3600, 3 * 86_400].map(shortAge), [
      '30s',
      '10m',
      '5h',
      '30h',
      '3d',
    ]);
  });
});
