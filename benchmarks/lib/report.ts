/**
 * benchmarks/lib/report.ts: the suite's outputs from one run: `latest.json` (every figure),
 * `latest.md` (the table with ratios) and `latest.svg` (a bar chart of the ratios, written by
 * hand: no chart library).
 *
 * Ratios are procmesh's speed over the other's (`speedRatio`): above 1x procmesh is faster, for
 * throughputs (procmesh / other) and round trips (other / procmesh) alike.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { speedRatio, type Figure, type ModuleStatus, type ScenarioResult, type Unit } from './scenario.js';
import type { Machine } from './stats.js';

export interface SuiteReport {
  readonly suite: 'procmesh-benchmarks';
  readonly version: 1;
  readonly date: string;
  readonly commit: string;
  /** Source files that differed from `commit` when the run started (others' work in progress). */
  readonly uncommitted: readonly string[];
  readonly mode: 'quick' | 'default';
  /** Measured runs per figure (after warm-up). */
  readonly runs: number;
  readonly durationSeconds: number;
  readonly machine: Machine;
  /** 1, 5 and 15 minute load averages when the run ended (beside `machine.loadAtStart`). */
  readonly loadAtEnd: readonly number[];
  readonly modules: readonly ModuleStatus[];
  readonly scenarios: readonly ScenarioResult[];
}

// ---------------------------------------------------------------------------------------------
// Formatting.

function num(value: number): string {
  if (!Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(abs >= 1e8 ? 0 : 2)} M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(0)} k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function formatFigure(f: Figure, scenarioUnit: Unit): string {
  const unit = f.unit ?? scenarioUnit;
  const main = `${num(f.median)} ${unit}`;
  if (unit === 'µs') return f.p99 !== undefined ? `${main} (p99 ${num(f.p99)})` : main;
  return f.mbPerSec !== undefined ? `${main} (${num(f.mbPerSec)} MB/s)` : main;
}

export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '-';
  if (ratio >= 10) return `${ratio.toFixed(0)}x`;
  if (ratio >= 0.1) return `${ratio.toFixed(2)}x`;
  return `${ratio.toPrecision(2)}x`;
}

// ---------------------------------------------------------------------------------------------
// JSON.

function jsonFigure(f: Figure | undefined): unknown {
  return f === undefined ? null : f;
}

export function toJson(report: SuiteReport): string {
  return JSON.stringify(
    {
      ...report,
      scenarios: report.scenarios.map((s) => ({
        ...s,
        measured: s.procmesh !== undefined,
        procmesh: jsonFigure(s.procmesh),
        limit: jsonFigure(s.limit),
        ratios: {
          peers: s.peers.map((p) => ({ impl: p.impl, ratio: speedRatio(s, s.procmesh, p) ?? null })),
          limit: s.limit === undefined ? null : { impl: s.limit.impl, ratio: speedRatio(s, s.procmesh, s.limit) ?? null },
        },
      })),
    },
    // five significant digits are more than these figures hold
    (_key, value: unknown) => (typeof value === 'number' && !Number.isInteger(value) ? Number(value.toPrecision(5)) : value),
    2,
  );
}

// ---------------------------------------------------------------------------------------------
// Markdown.

function dirty(report: SuiteReport): string {
  const n = report.uncommitted.length;
  return n === 0 ? '' : ` + uncommitted changes in ${n} file${n === 1 ? '' : 's'} (${report.uncommitted.join(', ')})`;
}

export function machineLine(report: SuiteReport): string {
  const m = report.machine;
  return (
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os} ${m.arch}, Node ${m.node}; commit ${report.commit}${dirty(report)}; ${report.date}; ` +
    `${report.mode} run, median of ${report.runs} runs per figure, ${Math.round(report.durationSeconds)} s; load at start ${m.loadAtStart.join(' / ')}, at end ${report.loadAtEnd.join(' / ')}`
  );
}

/** The results table (what the README shows). */
export function markdownTable(report: SuiteReport): string {
  const lines = [
    '| scenario | procmesh | peers, same run | procmesh vs peer | limit | vs limit |',
    '|---|---|---|---|---|---|',
  ];
  for (const s of report.scenarios) {
    const name = `${s.title}<br>\`${s.id}\``;
    const pm = s.procmesh === undefined ? '*not measured*' : formatFigure(s.procmesh, s.unit);
    const peers = s.peers.length === 0 ? '-' : s.peers.map((p) => `${p.impl}: ${formatFigure(p, s.unit)}`).join('<br>');
    const ratios = s.peers.length === 0 || s.procmesh === undefined ? '-' : s.peers.map((p) => `${formatRatio(speedRatio(s, s.procmesh, p))} ${p.impl}`).join('<br>');
    const limit = s.limit === undefined ? '-' : `${s.limit.impl}: ${formatFigure(s.limit, s.unit)}`;
    const vsLimit = s.limit === undefined ? '-' : formatRatio(speedRatio(s, s.procmesh, s.limit));
    lines.push(`| ${name} | ${pm} | ${peers} | ${ratios} | ${limit} | ${vsLimit} |`);
  }
  return lines.join('\n');
}

export function toMarkdown(report: SuiteReport): string {
  const notes = report.modules
    .filter((m) => m.status !== 'ok')
    .map((m) => `- \`${m.module}\`: ${m.status}${m.error !== undefined ? ` (${m.error.split('\n')[0]})` : ''}; its scenarios are not measured.`);
  return [
    '# procmesh benchmark results',
    '',
    machineLine(report),
    '',
    'Ratios are procmesh\'s speed over the other\'s, measured in the same run: above 1x procmesh is faster ' +
      '(throughput: procmesh / other; round trip: other / procmesh). The limit is the raw transport with no encoding.',
    '',
    markdownTable(report),
    ...(notes.length > 0 ? ['', ...notes] : []),
    '',
    `Modules: ${report.modules.map((m) => `${m.module} ${m.status} (${m.seconds.toFixed(0)} s)`).join(', ')}.`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// SVG: one horizontal bar per ratio, on a log scale centred on 1x.

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface Bar {
  readonly label: string;
  readonly ratio: number;
  readonly kind: 'peer' | 'limit';
}

const SVG = {
  width: 1000,
  labelWidth: 470,
  rightPad: 60,
  top: 70,
  rowHeight: 20,
  barHeight: 13,
  bottom: 50,
  /** Decades shown either side of 1x. */
  minLog: -3,
  maxLog: 2,
  peer: '#4c78a8',
  limit: '#a0a0a0',
} as const;

export function toSvg(report: SuiteReport): string {
  const bars: Bar[] = [];
  for (const s of report.scenarios) {
    for (const p of s.peers) {
      const ratio = speedRatio(s, s.procmesh, p);
      if (ratio !== undefined) bars.push({ label: `${s.id} vs ${p.impl}`, ratio, kind: 'peer' });
    }
    const ratio = speedRatio(s, s.procmesh, s.limit);
    if (ratio !== undefined && s.limit !== undefined) bars.push({ label: `${s.id} vs limit (${s.limit.impl})`, ratio, kind: 'limit' });
  }
  const plotLeft = SVG.labelWidth;
  const plotWidth = SVG.width - SVG.labelWidth - SVG.rightPad;
  const height = SVG.top + Math.max(1, bars.length) * SVG.rowHeight + SVG.bottom;
  const x = (ratio: number): number => {
    const log = Math.min(SVG.maxLog, Math.max(SVG.minLog, Math.log10(ratio)));
    return plotLeft + ((log - SVG.minLog) / (SVG.maxLog - SVG.minLog)) * plotWidth;
  };
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SVG.width}" height="${height}" viewBox="0 0 ${SVG.width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">procmesh vs peers and limits, same run (log scale; right of 1x = procmesh faster)</text>`,
    `<text x="10" y="38" fill="#555">${escapeXml(`${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}; commit ${report.commit}${report.uncommitted.length > 0 ? '+' : ''}; ${report.date.slice(0, 10)}; ${report.mode} run, median of ${report.runs}`)}</text>`,
    `<rect x="10" y="48" width="10" height="10" fill="${SVG.peer}"/><text x="24" y="57">vs a peer</text>`,
    `<rect x="90" y="48" width="10" height="10" fill="${SVG.limit}"/><text x="104" y="57">vs the limit (raw transport)</text>`,
  ];
  const plotBottom = SVG.top + bars.length * SVG.rowHeight;
  for (let decade: number = SVG.minLog; decade <= SVG.maxLog; decade++) {
    const r = 10 ** decade;
    const gx = x(r).toFixed(1);
    out.push(`<line x1="${gx}" y1="${SVG.top - 4}" x2="${gx}" y2="${plotBottom}" stroke="${decade === 0 ? '#333' : '#ddd'}" stroke-width="${decade === 0 ? 1.5 : 1}"/>`);
    out.push(`<text x="${gx}" y="${plotBottom + 16}" text-anchor="middle" fill="#555">${decade < 0 ? r.toFixed(-decade) : String(r)}x</text>`);
  }
  bars.forEach((bar, i) => {
    const y = SVG.top + i * SVG.rowHeight;
    const x0 = x(1);
    const x1 = x(bar.ratio);
    const left = Math.min(x0, x1);
    const width = Math.max(1, Math.abs(x1 - x0));
    out.push(`<text x="${plotLeft - 8}" y="${y + SVG.barHeight - 2}" text-anchor="end">${escapeXml(bar.label)}</text>`);
    out.push(`<rect x="${left.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${SVG.barHeight}" fill="${bar.kind === 'peer' ? SVG.peer : SVG.limit}"/>`);
    // the figure right of the bar's end, or right of the 1x line for a bar that grows leftwards
    const textX = (bar.ratio >= 1 ? x1 : x0) + 4;
    out.push(`<text x="${textX.toFixed(1)}" y="${y + SVG.barHeight - 2}">${formatRatio(bar.ratio)}</text>`);
  });
  if (bars.length === 0) out.push(`<text x="${plotLeft}" y="${SVG.top + 14}">no ratios measured</text>`);
  out.push(`<text x="${plotLeft + plotWidth / 2}" y="${plotBottom + 34}" text-anchor="middle" fill="#555">procmesh speed / other's speed</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

/** Write `latest.json`, `latest.md` and `latest.svg` into `dir` (each through a `.tmp` file). */
export function writeResults(dir: string, report: SuiteReport): string[] {
  const files: [string, string][] = [
    ['latest.json', toJson(report) + '\n'],
    ['latest.md', toMarkdown(report)],
    ['latest.svg', toSvg(report)],
  ];
  return files.map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
    return path;
  });
}
