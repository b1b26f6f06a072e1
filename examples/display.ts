/**
 * display.ts: live progress on the terminal. On a TTY the block (progress bar + one line per
 * proc) is redrawn in place a few times a second; elsewhere (CI, pipes) a plain line is printed
 * at every 10% of the job. Notes (supervision events) go above the block, never inside it.
 */

/** What the display shows of one proc. */
export interface ProcView {
  readonly index: number;
  readonly procId: string;
  /** `live`, `starting`, or why it is gone. */
  readonly state: string;
  readonly chunks: number;
  readonly messages: number;
  readonly inFlight: number;
  /** Share of its lifetime the proc's mapper spent computing, 0..1. */
  readonly busy: number;
}

/** A snapshot of a run, taken by the display when it draws. */
export interface RunView {
  readonly done: number;
  readonly total: number;
  readonly elapsedMs: number;
  readonly messages: number;
  readonly procs: readonly ProcView[];
}

const BAR = 30;

export class Display {
  private readonly tty: boolean;
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastDecile = 0;
  private source: (() => RunView) | undefined;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.tty = out.isTTY === true && process.env['CI'] === undefined;
    if (this.tty) process.once('exit', () => out.write('\x1b[?25h'));
  }

  /** Start showing a run; `source` is polled for snapshots. */
  start(source: () => RunView): void {
    this.source = source;
    this.lastDecile = 0; // lines at 10%, 20%, ... 100%
    this.drawn = 0;
    if (this.tty) {
      this.out.write('\x1b[?25l'); // hide the cursor while redrawing
      this.timer = setInterval(() => this.redraw(), 100);
      this.redraw();
    }
  }

  /** Progress changed (cheap: on a TTY the timer draws; elsewhere a line every 10%). */
  update(): void {
    if (this.tty || this.source === undefined) return;
    const view = this.source();
    const decile = Math.floor((10 * view.done) / Math.max(1, view.total));
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      this.out.write(`${plainLine(view)}\n`);
    }
  }

  /** A line above the live block. */
  note(line: string): void {
    if (this.tty) {
      this.clear();
      this.out.write(`${line}\n`);
      this.redraw();
    } else this.out.write(`${line}\n`);
  }

  /** Draw the final state and leave it on screen. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) {
      this.redraw();
      this.out.write('\x1b[?25h');
    } else this.update();
    this.source = undefined;
    this.drawn = 0;
  }

  private clear(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}F\x1b[0J`);
    this.drawn = 0;
  }

  private redraw(): void {
    if (this.source === undefined) return;
    // lines longer than the terminal would wrap and break the in-place redraw
    const width = Math.max(40, (this.out.columns || 120) - 1);
    const lines = block(this.source()).map((l) => ([...l].length > width ? `${[...l].slice(0, width - 1).join('')}…` : l));
    this.clear();
    this.out.write(lines.map((l) => `\x1b[2K${l}\n`).join(''));
    this.drawn = lines.length;
  }
}

function bar(done: number, total: number, width: number): string {
  const filled = total === 0 ? width : Math.round((width * done) / total);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

function pct(done: number, total: number): string {
  return `${Math.floor((100 * done) / Math.max(1, total))}%`.padStart(4);
}

function block(v: RunView): string[] {
  const secs = (v.elapsedMs / 1000).toFixed(1);
  const lines = [`  [${bar(v.done, v.total, BAR)}] ${pct(v.done, v.total)}  ${v.done}/${v.total} chunks  ${v.messages} msgs  ${secs} s`];
  const most = Math.max(1, ...v.procs.map((p) => p.chunks));
  for (const p of v.procs) {
    const util = `${Math.min(100, Math.round(100 * p.busy))}% busy`;
    // the proc id goes last: on a narrow terminal it is what gets cut
    lines.push(
      `  proc ${String(p.index).padEnd(2)} ${bar(p.chunks, most, 10)} ${String(p.chunks).padStart(5)} chunks ${String(p.messages).padStart(6)} msgs ` +
        `${String(p.inFlight).padStart(2)} in flight ${util.padStart(9)}  ${p.state.padEnd(9)}  ${p.procId}`,
    );
  }
  return lines;
}

function plainLine(v: RunView): string {
  const perProc = v.procs.map((p) => `proc ${p.index}: ${p.chunks}${p.state === 'live' ? '' : ` (${p.state})`}`).join(', ');
  return `  ${pct(v.done, v.total)}  ${v.done}/${v.total} chunks  ${v.messages} msgs  ${(v.elapsedMs / 1000).toFixed(1)} s  [${perProc}]`;
}
