/**
 * backup-db's age encryption against the real PostgreSQL and MariaDB servers, run as the runner runs it:
 * encrypt as the dump streams out (no plaintext on disk, scanned during and after the run), verification and
 * restore that decrypt on the fly, interop with the `age` CLI both ways, refusals (no identity, wrong identity,
 * tampered and truncated files) that leave the database as it was, and the identity never shown anywhere nor
 * on any process's command line.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';
import { before, describe, it } from 'node:test';
import { everythingVisible, runAction, type ActionResult, type RunOptions } from '../harness/run-action.js';
import {
  cleanupAfterAll,
  createDatabase,
  databasesLike,
  fingerprint,
  seed,
  type TestDatabase,
} from '../harness/seeded-databases.js';
import { clientDir, failure, passThrough, report, PG_BIN } from '../harness/backup-db.js';

const onCleanup = cleanupAfterAll();
const db = (engine: 'postgres' | 'mysql', prefix = 'bkenc') => {
  const d = createDatabase(engine, prefix);
  onCleanup(() => d.drop());
  return d;
};

/** A key pair made by the real age-keygen. */
function keyPair(): { identity: string; recipient: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'age-key-'));
  const file = path.join(dir, 'key.txt');
  execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
  const text = readFileSync(file, 'utf8');
  const identity = /^AGE-SECRET-KEY-1\S+$/m.exec(text)![0];
  const recipient = execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim();
  return { identity, recipient, file };
}

/** A marker only the table rows hold: any file holding it (raw, gzip or zlib) is plaintext on disk. */
const MARKER = 'PLAINTEXT-MARKER-7f3a9c';

function seedMarker(d: TestDatabase): void {
  d.sql(
    d.engine === 'postgres'
      ? `CREATE TABLE secrets_table (id int PRIMARY KEY, note text); INSERT INTO secrets_table SELECT g, '${MARKER}-' || g FROM generate_series(1, 200) g;`
      : `CREATE TABLE secrets_table (id int PRIMARY KEY, note text); INSERT INTO secrets_table VALUES ${Array.from({ length: 200 }, (_, i) => `(${i + 1}, '${MARKER}-${i + 1}')`).join(',')};`,
  );
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch (e) {
    // The scan races the action's own clean-up: a folder removed meanwhile holds nothing to find.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  for (const e of entries) {
    if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  }
  return out;
}

/** Why `file` is (or may be) a plaintext dump, or undefined. Decompresses gzip and zlib streams it finds. */
function plaintextIn(file: string): string | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined; // removed meanwhile
  }
  if (data.subarray(0, 5).toString() === 'PGDMP') return 'a PostgreSQL custom-format archive';
  if (data.includes(MARKER)) return 'the table rows in clear';
  if (data[0] === 0x1f && data[1] === 0x8b) {
    try {
      if (gunzipSync(data, { finishFlush: 2 }).includes(MARKER)) return 'the table rows, gzip-compressed';
    } catch {
      return 'a gzip stream (a compressed dump)';
    }
  }
  for (let i = data.indexOf(0x78); i >= 0 && i < data.length - 2; i = data.indexOf(0x78, i + 1)) {
    if (![0x01, 0x5e, 0x9c, 0xda].includes(data[i + 1]!)) continue;
    try {
      if (inflateSync(data.subarray(i), { finishFlush: 2 }).includes(MARKER))
        return 'the table rows, zlib-compressed';
    } catch {
      /* not a zlib stream */
    }
  }
  return undefined;
}

/** Scan the runner's temp folder and `extra` folders for plaintext, and every process's argv for `secret`. */
function watch(dirs: () => string[], secret: string) {
  const found: string[] = [];
  let scans = 0;
  const timer = setInterval(() => {
    scans++;
    for (const dir of dirs())
      for (const f of filesUnder(dir)) {
        const why = plaintextIn(f);
        if (why) found.push(`${f}: ${why}`);
      }
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      for (const what of ['cmdline', 'environ']) {
        try {
          // The action's own process is handed the input by the runner (INPUT_DECRYPT-IDENTITY); its children
          // must not inherit it.
          if (what === 'environ' && readFileSync(`/proc/${pid}/cmdline`).includes('dist/backup-db/index.js'))
            continue;
          if (readFileSync(`/proc/${pid}/${what}`).includes(secret)) {
            const cmd = readFileSync(`/proc/${pid}/cmdline`).toString().replace(/\0/g, ' ');
            // This test process holds the secret in its own environment only if it put it there (it does not).
            found.push(`process ${pid} (${cmd.slice(0, 80)}) has the identity in its ${what}`);
          }
        } catch {
          /* gone, or not ours */
        }
      }
    }
  }, 25);
  return {
    stop() {
      clearInterval(timer);
      return { found: [...new Set(found)], scans };
    },
  };
}

/** Run backup-db while scanning for plaintext and the identity on argv/environ; fail on any. */
async function runWatched(opts: RunOptions, secret: string, extraDirs: string[] = []): Promise<ActionResult> {
  let runnerTemp = '';
  const w = watch(() => [runnerTemp, ...extraDirs].filter(Boolean), secret);
  let r: ActionResult;
  try {
    r = await runAction('backup-db', {
      ...opts,
      onSpawn: (child) => {
        // RUNNER_TEMP is <base>/runner-temp; the child's cwd is the workspace beside it.
        try {
          const env = readFileSync(`/proc/${child.pid}/environ`).toString().split('\0');
          runnerTemp = env.find((e) => e.startsWith('RUNNER_TEMP='))?.slice('RUNNER_TEMP='.length) ?? '';
        } catch {
          /* exited already */
        }
      },
    });
  } finally {
    const { found, scans } = w.stop();
    assert.deepEqual(found, [], 'plaintext on disk or the identity on a command line/environment');
    assert.ok(scans > 0, 'the watcher scanned at least once');
  }
  return r;
}

function assertIdentityHidden(r: ActionResult, identity: string, files: string[] = []): void {
  const visible = everythingVisible(r);
  assert.ok(!visible.includes(identity), 'the identity leaked into the log, summary or outputs');
  assert.ok(!visible.includes('AGE-SECRET-KEY'), 'an AGE-SECRET-KEY appears in the output');
  for (const f of files) assert.ok(!readFileSync(f, 'utf8').includes(identity), `the identity is in ${f}`);
  assert.ok(r.masks.includes(identity), 'the identity was registered as a secret (masked)');
}

const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('backup-db encrypts as it dumps (real servers)', () => {
  for (const engine of ['postgres', 'mysql'] as const) {
    it(`${engine}: encrypted dump (.age), no plaintext on disk, verified by restore with the identity, identity never shown`, async () => {
      const key = keyPair();
      const other = keyPair();
      const source = db(engine);
      seed(source);
      seedMarker(source);
      const outDir = mkdtempSync(path.join(tmpdir(), 'bk-enc-out-'));
      const r = await runWatched(
        {
          inputs: {
            'database-url': source.url,
            environment: 'production',
            name: 'shop',
            directory: outDir,
            verify: 'restore',
            'encrypt-to': `${key.recipient}, ${other.recipient}`,
            'decrypt-identity': readFileSync(key.file, 'utf8'),
          },
        },
        key.identity,
        [outDir],
      );
      assert.equal(r.exitCode, 0, failure(r));
      const o = r.outputs;
      const ext = engine === 'postgres' ? '.dump.age' : '.sql.gz.age';
      assert.match(
        path.basename(o.path!),
        new RegExp(`^shop-production-\\d{8}T\\d{6}Z(-run\\d+-\\d+-[0-9a-z]+)?${ext.replace(/\./g, '\\.')}$`),
      );
      assert.equal(path.dirname(o.path!), outDir);
      assert.equal(o.encrypted, 'true');
      assert.equal(o['retention-days'], '14');
      assert.equal(o.verified, 'true');
      assert.equal(readFileSync(o.path!).subarray(0, 21).toString(), 'age-encryption.org/v1');
      assert.equal(plaintextIn(o.path!), undefined);
      // The manifest: encrypted, both recipients, the sha256 and size of the encrypted file.
      const manifest = JSON.parse(readFileSync(o.manifest!, 'utf8'));
      assert.equal(manifest.encrypted, true);
      assert.deepEqual(manifest.recipients, [key.recipient, other.recipient]);
      assert.equal(manifest.sha256, sha256(o.path!));
      assert.equal(manifest.sizeBytes, statSync(o.path!).size);
      assert.equal(
        readFileSync(`${o.path}.sha256`, 'utf8'),
        `${manifest.sha256}  ${path.basename(o.path!)}\n`,
      );
      assert.equal(manifest.verification.passed, true);
      assert.equal(manifest.tables.find((t: { name: string }) => t.name.endsWith('secrets_table')).rows, 200);
      const rep = report(r) as unknown as {
        encrypted: boolean;
        recipients: string[];
        tables: { rows: number; restoredRows?: number }[];
      };
      assert.equal(rep.encrypted, true);
      assert.deepEqual(
        rep.tables.map((t) => t.restoredRows),
        rep.tables.map((t) => t.rows),
      );
      assert.match(r.summary, /\| Encryption \| ✅ age, to `age1/);
      // After the run: only the encrypted dump, its checksum and the manifest; no plaintext anywhere.
      assert.deepEqual(
        readdirSync(outDir).sort(),
        [path.basename(o.manifest!), path.basename(o.path!), `${path.basename(o.path!)}.sha256`].sort(),
      );
      for (const f of [...filesUnder(outDir), ...filesUnder(r.runnerTemp)])
        assert.equal(plaintextIn(f), undefined, `${f} holds plaintext`);
      assertIdentityHidden(r, key.identity, [o.manifest!, `${o.path}.sha256`]);
      assert.deepEqual(databasesLike(engine, `${source.name}_verify`), []);

      // verify: list decrypts on the fly too.
      const listed = await runWatched(
        {
          inputs: {
            'database-url': source.url,
            directory: outDir,
            verify: 'list',
            'encrypt-to': key.recipient,
            'decrypt-identity': key.identity,
          },
        },
        key.identity,
        [outDir],
      );
      assert.equal(listed.exitCode, 0, failure(listed));
      assert.equal(listed.outputs.verified, 'true');
      assertIdentityHidden(listed, key.identity);
    });
  }

  for (const engine of ['postgres', 'mysql'] as const) {
    it(`${engine} SQL (${engine === 'postgres' ? 'format: plain' : 'gzip'}): encrypted, verify list, then mode restore into a fresh database with identical contents`, async () => {
      const key = keyPair();
      const source = db(engine);
      seed(source);
      seedMarker(source);
      const dir = mkdtempSync(path.join(tmpdir(), 'bk-enc-sql-'));
      const backup = await runWatched(
        {
          inputs: {
            'database-url': source.url,
            directory: dir,
            verify: 'list',
            'encrypt-to': key.recipient,
            'decrypt-identity': key.identity,
            ...(engine === 'postgres' ? { format: 'plain' } : {}),
          },
        },
        key.identity,
        [dir],
      );
      assert.equal(backup.exitCode, 0, failure(backup));
      assert.match(backup.outputs.path!, /\.sql\.gz\.age$/);
      assert.equal(backup.outputs.verified, 'true');
      const target = db(engine);
      const restored = await runWatched(
        {
          inputs: {
            mode: 'restore',
            'database-url': target.url,
            backup: backup.outputs.manifest!,
            confirm: target.name,
            'decrypt-identity': key.identity,
          },
        },
        key.identity,
        [dir],
      );
      assert.equal(restored.exitCode, 0, failure(restored));
      assert.equal(restored.outputs.verified, 'true');
      assert.deepEqual(fingerprint(target), fingerprint(source));
      assertIdentityHidden(restored, key.identity);
    });
  }

  it('refuses verify: restore (and the default verify: list) without decrypt-identity, before the dump starts', async () => {
    const key = keyPair();
    const source = db('postgres');
    seedMarker(source);
    for (const verify of ['restore', undefined]) {
      const outDir = mkdtempSync(path.join(tmpdir(), 'bk-enc-refuse-'));
      const r = await runAction('backup-db', {
        inputs: {
          'database-url': source.url,
          directory: outDir,
          'encrypt-to': key.recipient,
          ...(verify ? { verify } : {}),
        },
      });
      assert.equal(r.exitCode, 1);
      const msg = failure(r);
      assert.match(
        msg,
        /Input "decrypt-identity" is required with encrypt-to and verify: (restore|list \(the default\))/,
      );
      assert.match(msg, /an encrypted dump can only be read with the secret key\. Nothing was dumped\./);
      assert.match(msg, /verify: none/);
      assert.deepEqual(readdirSync(outDir), [], 'nothing was written');
    }
    // An identity that is not among the recipients: verification could never decrypt; refused up front.
    const stranger = keyPair();
    const outDir = mkdtempSync(path.join(tmpdir(), 'bk-enc-refuse-'));
    const r = await runAction('backup-db', {
      inputs: {
        'database-url': source.url,
        directory: outDir,
        'encrypt-to': key.recipient,
        'decrypt-identity': stranger.identity,
      },
    });
    assert.equal(r.exitCode, 1);
    assert.match(failure(r), /Input "decrypt-identity": its public key \(age1\w+\) is not among encrypt-to/);
    assert.deepEqual(readdirSync(outDir), []);
    assertIdentityHidden(r, stranger.identity);
  });

  it('cancelled during an encrypted dump: pg_dump stopped, the partial .age file removed, no manifest', async () => {
    const key = keyPair();
    const source = db('postgres');
    seedMarker(source);
    const clients = clientDir({
      pg_dump: {
        real: `${PG_BIN}/pg_dump`,
        // Dumps to stdout (into the encryption), then holds stdout open as a slow dump would.
        body: '[ "$1" = --version ] && exec "$REAL" "$@"\n"$REAL" "$@"; echo dumped >> "$LOG"; sleep 60',
      },
      pg_restore: passThrough(`${PG_BIN}/pg_restore`),
      psql: passThrough(`${PG_BIN}/psql`),
    });
    const directory = mkdtempSync(path.join(tmpdir(), 'bk-enc-cancel-'));
    const r = await runAction('backup-db', {
      inputs: {
        'database-url': source.url,
        'client-path': clients.dir,
        directory,
        verify: 'none',
        'encrypt-to': key.recipient,
      },
      timeoutMs: 60_000,
      onSpawn: (child) => {
        const started = Date.now();
        const poll = setInterval(() => {
          if (readFileSync(clients.log, 'utf8').includes('dumped') || Date.now() - started > 30_000) {
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 50);
        child.on('exit', () => clearInterval(poll));
      },
    });
    assert.equal(r.signal, null, 'the action ended by itself');
    assert.equal(r.exitCode, 1);
    assert.match(
      failure(r),
      /pg_dump was stopped because the job was cancelled .*; the partial dump was removed/s,
    );
    assert.deepEqual(readdirSync(directory), []);
  });

  it('rejects malformed recipients and identities, naming the input, without echoing the secret', async () => {
    const source = db('postgres');
    const bad = await runAction('backup-db', {
      inputs: { 'database-url': source.url, 'encrypt-to': 'age1notakey', verify: 'none' },
    });
    assert.equal(bad.exitCode, 1);
    assert.match(failure(bad), /Input "encrypt-to": "age1notakey" is not an age recipient/);
    const key = keyPair();
    const mangled = key.identity.slice(0, -3) + (key.identity.endsWith('QQQ') ? 'PPP' : 'QQQ');
    const badId = await runAction('backup-db', {
      inputs: { 'database-url': source.url, 'encrypt-to': key.recipient, 'decrypt-identity': mangled },
    });
    assert.equal(badId.exitCode, 1);
    assert.match(
      failure(badId),
      /Input "decrypt-identity": it is not a valid age identity.*the value is not shown/,
    );
    assert.ok(!everythingVisible(badId).includes(mangled));
    const dir = await runAction('backup-db', {
      inputs: {
        'database-url': source.url,
        'encrypt-to': key.recipient,
        format: 'directory',
        verify: 'none',
      },
    });
    assert.equal(dir.exitCode, 1);
    assert.match(failure(dir), /Input "encrypt-to": a directory-format dump is a folder of files/);
  });
});

describe('age interop and refused restores (real servers)', () => {
  let key: ReturnType<typeof keyPair>;
  let source: TestDatabase;
  let backupDir: string;
  let encrypted: { path: string; manifest: string };
  before(async () => {
    key = keyPair();
    source = db('postgres', 'bkencio');
    seed(source);
    seedMarker(source);
    // Enough incompressible rows for a dump of many 64 KiB age chunks (a tampered middle chunk is not the last).
    source.sql(
      'CREATE TABLE bulk (id int PRIMARY KEY, v text); INSERT INTO bulk SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 20000) g;',
    );
    backupDir = mkdtempSync(path.join(tmpdir(), 'bk-enc-io-'));
    const r = await runAction('backup-db', {
      inputs: {
        'database-url': source.url,
        directory: backupDir,
        verify: 'none',
        'encrypt-to': key.recipient,
      },
    });
    assert.equal(r.exitCode, 0, failure(r));
    encrypted = { path: r.outputs.path!, manifest: r.outputs.manifest! };
  });

  it('a file we encrypt decrypts with the age CLI and restores with pg_restore', () => {
    const target = db('postgres', 'bkencio');
    const plain = execFileSync('age', ['--decrypt', '-i', key.file, encrypted.path], {
      maxBuffer: 512 * 1024 * 1024,
    });
    assert.equal(plain.subarray(0, 5).toString(), 'PGDMP');
    execFileSync(
      `${PG_BIN}/pg_restore`,
      ['-w', '--exit-on-error', '--no-owner', '-h', '127.0.0.1', '-U', 'postgres', '-d', target.name],
      {
        input: plain,
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    assert.deepEqual(fingerprint(target), fingerprint(source));
  });

  it('a file encrypted by the age CLI restores through backup-db', async () => {
    // An unencrypted backup, encrypted afterwards with the age CLI; its manifest updated to describe the .age file.
    const dir = mkdtempSync(path.join(tmpdir(), 'bk-enc-cli-'));
    const plainRun = await runAction('backup-db', {
      inputs: { 'database-url': source.url, directory: dir, verify: 'none' },
    });
    assert.equal(plainRun.exitCode, 0, failure(plainRun));
    const dump = plainRun.outputs.path!;
    execFileSync('age', ['--encrypt', '-r', key.recipient, '-o', `${dump}.age`, dump]);
    unlinkSync(dump);
    unlinkSync(`${dump}.sha256`);
    const manifestPath = plainRun.outputs.manifest!;
    const m = JSON.parse(readFileSync(manifestPath, 'utf8'));
    Object.assign(m, {
      file: `${m.file}.age`,
      checksumFile: `${m.file}.age.sha256`,
      sha256: sha256(`${dump}.age`),
      sizeBytes: statSync(`${dump}.age`).size,
      encrypted: true,
      recipients: [key.recipient],
    });
    writeFileSync(manifestPath, JSON.stringify(m));
    writeFileSync(`${dump}.age.sha256`, `${m.sha256}  ${m.file}\n`);

    const target = db('postgres', 'bkencio');
    const r = await runWatched(
      {
        inputs: {
          mode: 'restore',
          'database-url': target.url,
          backup: `${dump}.age`,
          confirm: target.name,
          'decrypt-identity': readFileSync(key.file, 'utf8'),
        },
      },
      key.identity,
      [dir],
    );
    assert.equal(r.exitCode, 0, failure(r));
    assert.equal(r.outputs.verified, 'true');
    assert.match(r.log, /decrypts and authenticates in full/);
    assert.match(
      r.summary,
      /\| Encryption \| age: decrypted on the fly, every chunk authenticated before the restore \|/,
    );
    assert.deepEqual(fingerprint(target), fingerprint(source));
    assertIdentityHidden(r, key.identity);
  });

  /** A copy of the encrypted backup, damaged by `damage`, with its manifest and .sha256 made to agree. */
  function damagedCopy(damage: (file: string) => void): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'bk-enc-dmg-'));
    const file = path.join(dir, path.basename(encrypted.path));
    copyFileSync(encrypted.path, file);
    damage(file);
    const m = JSON.parse(readFileSync(encrypted.manifest, 'utf8'));
    m.sha256 = sha256(file);
    m.sizeBytes = statSync(file).size;
    writeFileSync(path.join(dir, path.basename(encrypted.manifest)), JSON.stringify(m));
    writeFileSync(`${file}.sha256`, `${m.sha256}  ${m.file}\n`);
    return file;
  }

  const refusals: [string, () => { file: string; identity: string }, RegExp][] = [
    [
      'a wrong identity',
      () => ({ file: encrypted.path, identity: keyPair().identity }),
      /it is encrypted \(to age1\w+\), and the decrypt-identity is the key of age1\w+: the wrong key\. The database was not touched\./,
    ],
    [
      'a tampered ciphertext',
      () => ({
        file: damagedCopy((f) => {
          const b = readFileSync(f);
          assert.ok(b.length > 4 * 65536, `the dump spans several age chunks (${b.length} bytes)`);
          const at = Math.floor(b.length / 2);
          b[at] = b[at]! ^ 0xff;
          writeFileSync(f, b);
        }),
        identity: key.identity,
      }),
      /Cannot decrypt .*: a chunk fails authentication \(the file was damaged or tampered with\).*The database was not touched\./s,
    ],
    [
      'a truncated file',
      () => ({
        file: damagedCopy((f) => truncateSync(f, Math.floor(statSync(f).size * 0.6))),
        identity: key.identity,
      }),
      /Cannot decrypt .*: it ends early \(the file is truncated: a partial upload or download\).*The database was not touched\./s,
    ],
  ];
  for (const [what, make, message] of refusals) {
    it(`refuses ${what} before touching the database, which is unchanged`, async () => {
      const { file, identity } = make();
      const target = db('postgres', 'bkencio');
      seed(target);
      const before = fingerprint(target);
      const r = await runAction('backup-db', {
        inputs: {
          mode: 'restore',
          'database-url': target.url,
          backup: file,
          confirm: target.name,
          'decrypt-identity': identity,
        },
      });
      assert.equal(r.exitCode, 1);
      assert.match(failure(r), message);
      assert.deepEqual(fingerprint(target), before);
      assertIdentityHidden(r, identity);
    });
  }

  it('refuses to restore an encrypted backup without decrypt-identity', async () => {
    const target = db('postgres', 'bkencio');
    const r = await runAction('backup-db', {
      inputs: { mode: 'restore', 'database-url': target.url, backup: encrypted.path, confirm: target.name },
    });
    assert.equal(r.exitCode, 1);
    assert.match(
      failure(r),
      /Input "decrypt-identity" is required: the backup \S+\.dump\.age is age-encrypted \(to age1\w+\)\. Nothing was changed\./,
    );
  });
});
