// Charts drawn by the page itself as inline SVG (no library, no network resource): horizontal
// bars with their figures written beside them, a reference line where one helps (60 days for
// payment delays, 100 % for an envelope). Every chart has a title and a description for screen
// readers, and the table it comes from stays on the page: the chart is for looking, the table for
// reading and downloading.
import * as f from './format.js';

const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let counter = 0;

/**
 * Horizontal bars. rows: [{label, value (a number ≥ 0, or null: nothing to draw), text}];
 * `reference`: {value, label} draws a dashed line; `max`: the scale's end (default: the largest
 * value or reference). Returns a <figure> with the SVG and a caption.
 */
export function bars({ title, description, rows, reference, max, testid, unit }) {
  const id = 'chart-' + ++counter;
  const labelWidth = 220;
  const barArea = 360;
  const textWidth = 130;
  const rowHeight = 26;
  const top = 8;
  const height = top + rows.length * rowHeight + (reference ? 22 : 8);
  const width = labelWidth + barArea + textWidth;
  const values = rows.map((r) => (typeof r.value === 'number' ? r.value : 0));
  const scale = Math.max(1, max || 0, ...values, reference ? reference.value : 0);
  const x = (v) => labelWidth + (barArea * Math.max(0, v)) / scale;
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', class: 'chart',
    'aria-labelledby': id + '-title ' + id + '-desc', 'data-testid': testid, preserveAspectRatio: 'xMinYMin meet',
  },
  s('title', { id: id + '-title' }, title),
  s('desc', { id: id + '-desc' }, description || rows.map((r) => r.label + ' : ' + r.text).join(' ; ')),
  rows.map((r, i) => {
    const y = top + i * rowHeight;
    const drawn = typeof r.value === 'number';
    return s('g', { class: 'chart-row', 'data-value': drawn ? r.value : '' },
      s('text', { x: labelWidth - 8, y: y + 16, 'text-anchor': 'end', class: 'chart-label' }, clip(r.label, 34)),
      drawn ? s('rect', {
        x: labelWidth, y: y + 4, height: rowHeight - 9, width: Math.max(drawn && r.value > 0 ? 1 : 0, x(r.value) - labelWidth),
        class: 'chart-bar' + (r.alert ? ' is-alert' : ''),
      }, s('title', null, r.label + ' : ' + r.text)) : null,
      s('text', { x: (drawn ? x(r.value) : labelWidth) + 6, y: y + 16, class: 'chart-value' }, r.text));
  }),
  s('line', { x1: labelWidth, x2: labelWidth, y1: top, y2: top + rows.length * rowHeight, class: 'chart-axis' }),
  reference ? [
    s('line', { x1: x(reference.value), x2: x(reference.value), y1: top, y2: top + rows.length * rowHeight + 4, class: 'chart-reference' }),
    s('text', { x: x(reference.value), y: top + rows.length * rowHeight + 17, 'text-anchor': 'middle', class: 'chart-reference-label' }, reference.label),
  ] : null);
  const figure = document.createElement('figure');
  figure.className = 'chart-figure';
  const caption = document.createElement('figcaption');
  caption.textContent = title + (unit ? ' (' + unit + ')' : '');
  figure.append(svg, caption);
  return figure;
}

function clip(text, n) {
  const t = String(text);
  return t.length > n ? t.slice(0, n - 1) + '…' : t;
}

/** Consumption of each funder's envelope (‰), with the 100 % line. */
export function consumption(lines, title) {
  const rows = lines.filter((l) => l.funder).map((l) => ({
    label: l.funder.name,
    value: l.consumptionPermille,
    text: l.consumptionPermille === null ? 'sans enveloppe' : f.permille(l.consumptionPermille) + ' de ' + f.money(l.envelope),
    alert: l.consumptionPermille > 1000,
  }));
  return bars({ title, rows, reference: { value: 1000, label: '100 %' }, testid: 'chart-consumption' });
}
