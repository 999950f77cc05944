/**
 * Counts the rows of each table in a mysqldump/mariadb-dump SQL stream as it passes through, unchanged, on its
 * way to the gzip file: the manifest's counts are then exactly the dump's (the dump's --single-transaction
 * snapshot cannot be shared with another session), whatever the application writes meanwhile.
 *
 * The dump writes each table's data as `INSERT INTO `name` VALUES (...),(...);` statements starting at the
 * beginning of a line (MySQL on one line, MariaDB one tuple per line). A byte-level state machine counts the
 * top-level tuples up to the statement's `;`, skipping quoted strings (with backslash escapes). Lines inside `DELIMITER ;;` blocks (triggers, routines, events) are
 * code, not data, and are ignored. Memory stays flat: nothing but the table name is buffered.
 */
import { Transform, type TransformCallback } from 'node:stream';

const enum S {
  LineStart, // collecting the first bytes of a line to see what it is
  SkipLine, // a line that is not data: skip to its end
  DelimiterArg, // `DELIMITER x`: collecting x
  Name, // inside the backquoted table name
  NameQuote, // saw a backquote inside the name: its end, or an escaped backquote
  Values, // between tuples, at depth 0
  Tuple, // inside a tuple (depth >= 1), outside strings
  Str, // inside a quoted string
  StrEscape, // after a backslash inside a string
}

const INSERT = Buffer.from('INSERT INTO `');
const DELIMITER = Buffer.from('DELIMITER ');
const NL = 0x0a;
const BACKQUOTE = 0x60;
const OPEN = 0x28;
const CLOSE = 0x29;
const SEMI = 0x3b;
const BACKSLASH = 0x5c;

function isPrefix(head: readonly number[], of: Buffer): boolean {
  if (head.length > of.length) return false;
  for (let i = 0; i < head.length; i++) if (head[i] !== of[i]) return false;
  return true;
}

export class SqlRowCounter extends Transform {
  /** Rows per table name, as seen so far. */
  readonly rows = new Map<string, number>();
  private state = S.LineStart;
  private head: number[] = [];
  private inDelimiterBlock = false;
  private arg: number[] = [];
  private name: number[] = [];
  private table = '';
  private depth = 0;
  private quote = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.scan(chunk);
    done(null, chunk);
  }

  private scan(b: Buffer): void {
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!;
      // An INSERT statement may span lines (MariaDB writes one tuple per line): it ends at its `;`.
      if (
        c === NL &&
        (this.state === S.LineStart || this.state === S.SkipLine || this.state === S.DelimiterArg)
      ) {
        this.endLine();
        continue;
      }
      switch (this.state) {
        case S.LineStart:
          this.head.push(c);
          if (!this.inDelimiterBlock && isPrefix(this.head, INSERT)) {
            if (this.head.length === INSERT.length) {
              this.name = [];
              this.state = S.Name;
            }
          } else if (isPrefix(this.head, DELIMITER)) {
            if (this.head.length === DELIMITER.length) {
              this.arg = [];
              this.state = S.DelimiterArg;
            }
          } else this.state = S.SkipLine;
          break;
        case S.SkipLine:
          break;
        case S.DelimiterArg:
          this.arg.push(c);
          break;
        case S.Name:
          if (c === BACKQUOTE) this.state = S.NameQuote;
          else this.name.push(c);
          break;
        case S.NameQuote:
          if (c === BACKQUOTE) {
            this.name.push(c);
            this.state = S.Name;
          } else {
            this.table = Buffer.from(this.name).toString('utf8');
            this.state = S.Values;
            i--; // look at this byte again, between tuples
          }
          break;
        case S.Values:
          if (c === OPEN) {
            this.rows.set(this.table, (this.rows.get(this.table) ?? 0) + 1);
            this.depth = 1;
            this.state = S.Tuple;
          } else if (c === SEMI) this.state = S.SkipLine;
          break;
        case S.Tuple:
          if (c === 0x27 || c === 0x22) {
            this.quote = c;
            this.state = S.Str;
          } else if (c === OPEN) this.depth++;
          else if (c === CLOSE && --this.depth === 0) this.state = S.Values;
          break;
        case S.Str:
          // A doubled quote ('') closes and reopens the string: same count either way.
          if (c === BACKSLASH) this.state = S.StrEscape;
          else if (c === this.quote) this.state = S.Tuple;
          break;
        case S.StrEscape:
          this.state = S.Str;
          break;
      }
    }
  }

  private endLine(): void {
    // `DELIMITER ;;` opens a block of triggers/routines/events (code, not data); `DELIMITER ;` closes it.
    if (this.state === S.DelimiterArg)
      this.inDelimiterBlock = Buffer.from(this.arg).toString('utf8').trim() !== ';';
    this.head = [];
    this.state = S.LineStart;
  }
}
