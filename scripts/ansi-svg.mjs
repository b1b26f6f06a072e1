// Renders terminal text with ANSI SGR colour codes (what `tmux capture-pane -p -e` prints) to an
// SVG image: one <text> row per line, each run of one style a <tspan> at its column, a <rect>
// behind runs with a background (inverse video included). Used by scripts/top-screenshot.mjs
// for the README's picture of `procmesh top`.
//
// Written here rather than taken from a package: the maintained renderers draw from a browser
// (xterm.js with a headless browser) or take a whole terminal emulator; ansi-to-svg has had no
// release since 2020. What tmux prints is a small subset (SGR 0/1/2/7/22/27, 30-37, 39, 40-47,
// 49, 90-97, 100-107, 38/48;5;N and 38/48;2;R;G;B), fixed-width lines: about a hundred lines.

const PALETTE = ['#1e1e1e', '#e06c75', '#98c379', '#e5c07b', '#61afef', '#c678dd', '#56b6c2', '#dcdfe4', '#5c6370', '#ff7b86', '#b5e890', '#ffd68a', '#7cc5ff', '#de93f5', '#7fdde9', '#ffffff'];
const FG = '#dcdfe4';
const BG = '#1e1e1e';

function color256(n) {
  if (n < 16) return PALETTE[n];
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const i = n - 16;
  const c = (x) => (x === 0 ? 0 : 55 + x * 40);
  return `rgb(${c(Math.floor(i / 36))},${c(Math.floor(i / 6) % 6)},${c(i % 6)})`;
}

function applySgr(style, params) {
  const p = params.length === 0 ? [0] : params;
  for (let i = 0; i < p.length; i++) {
    const n = p[i];
    if (n === 0) Object.assign(style, { fg: undefined, bg: undefined, bold: false, dim: false, inverse: false });
    else if (n === 1) style.bold = true;
    else if (n === 2) style.dim = true;
    else if (n === 22) style.bold = style.dim = false;
    else if (n === 7) style.inverse = true;
    else if (n === 27) style.inverse = false;
    else if (n >= 30 && n <= 37) style.fg = PALETTE[n - 30];
    else if (n >= 90 && n <= 97) style.fg = PALETTE[n - 90 + 8];
    else if (n === 39) style.fg = undefined;
    else if (n >= 40 && n <= 47) style.bg = PALETTE[n - 40];
    else if (n >= 100 && n <= 107) style.bg = PALETTE[n - 100 + 8];
    else if (n === 49) style.bg = undefined;
    else if ((n === 38 || n === 48) && p[i + 1] === 5) {
      style[n === 38 ? 'fg' : 'bg'] = color256(p[i + 2] ?? 0);
      i += 2;
    } else if ((n === 38 || n === 48) && p[i + 1] === 2) {
      style[n === 38 ? 'fg' : 'bg'] = `rgb(${p[i + 2] ?? 0},${p[i + 3] ?? 0},${p[i + 4] ?? 0})`;
      i += 4;
    }
  }
}

/** Lines of runs `{ text, col, fg, bg, bold, dim }` from ANSI text. */
export function parseAnsi(text) {
  const style = { fg: undefined, bg: undefined, bold: false, dim: false, inverse: false };
  return text.split('\n').map((line) => {
    const runs = [];
    let col = 0;
    const re = /\x1b\[([0-9;]*)m|\x1b\[[0-9;?]*[A-Za-z]|([^\x1b]+)/g;
    for (let m = re.exec(line); m !== null; m = re.exec(line)) {
      if (m[1] !== undefined) applySgr(style, m[1] === '' ? [] : m[1].split(';').map(Number));
      else if (m[2] !== undefined) {
        const chars = [...m[2]];
        const fg = style.inverse ? (style.bg ?? BG) : (style.fg ?? FG);
        const bg = style.inverse ? (style.fg ?? FG) : style.bg;
        runs.push({ text: m[2], col, fg, bg, bold: style.bold, dim: style.dim });
        col += chars.length;
      }
    }
    return runs;
  });
}

const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The SVG of ANSI text, `columns` x `rows` cells. */
export function ansiToSvg(text, { columns = 120, rows, fontSize = 14, title = 'terminal' } = {}) {
  const lines = parseAnsi(text.replace(/\n$/, ''));
  const n = rows ?? lines.length;
  const cw = fontSize * 0.6;
  const lh = fontSize * 1.3;
  const pad = 12;
  const width = Math.ceil(columns * cw + pad * 2);
  const height = Math.ceil(n * lh + pad * 2);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escape(title)}">`,
    `<rect width="100%" height="100%" rx="6" fill="${BG}"/>`,
    `<g font-family="'DejaVu Sans Mono','Menlo','Consolas',monospace" font-size="${fontSize}" xml:space="preserve">`,
  ];
  lines.slice(0, n).forEach((runs, row) => {
    const y = pad + row * lh;
    for (const r of runs) {
      if (r.bg !== undefined) out.push(`<rect x="${(pad + r.col * cw).toFixed(1)}" y="${y.toFixed(1)}" width="${([...r.text].length * cw).toFixed(1)}" height="${lh.toFixed(1)}" fill="${r.bg}"/>`);
    }
    const spans = runs
      .filter((r) => r.text.trim() !== '')
      .map((r) => {
        const attrs = [`x="${(pad + r.col * cw).toFixed(1)}"`, `fill="${r.fg}"`];
        if (r.bold) attrs.push('font-weight="bold"');
        if (r.dim) attrs.push('opacity="0.6"');
        return `<tspan ${attrs.join(' ')}>${escape(r.text)}</tspan>`;
      });
    if (spans.length > 0) out.push(`<text y="${(y + lh * 0.78).toFixed(1)}">${spans.join('')}</text>`);
  });
  out.push('</g>', '</svg>', '');
  return out.join('\n');
}
