// Pieces shared by the views: page heading with print button, tables with CSV download, history.
import { h } from './dom.js';
import { authHeaders } from './api.js';
import * as f from './format.js';

/** CSV text: UTF-8 BOM, `;` separators, CRLF, fields quoted when they hold `;`, `"` or a newline. */
export function toCsv(header, rows) {
  const esc = (v) => {
    let s = v === null || v === undefined ? '' : String(v);
    // A text cell that a spreadsheet would run as a formula gets a leading apostrophe
    // (numbers such as -1500,50 are left alone).
    if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(,\d+)?$/.test(s)) s = "'" + s;
    return /[;"\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  return '\uFEFF' + [header, ...rows].map((r) => r.map(esc).join(';')).join('\r\n') + '\r\n';
}

export function downloadBlob(filename, blob) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function downloadCsv(filename, header, rows) {
  const tail = provenance ? [[], ...provenanceRows(provenance)] : [];
  downloadBlob(filename, new Blob([toCsv(header, [...rows, ...tail])], { type: 'text/csv;charset=utf-8' }));
}

// ---------------------------------------------------------------- provenance of a document

// The state of the register the document on screen was computed from (the API's Provenance,
// with the programme's name): null outside the pilotage's documents.
let provenance = null;
let footSheet = null;

/** How an auditor checks a document: the command line and the query. */
export function verifyLine(p) {
  return 'Pour vérifier : chronique verify --position ' + p.position + ' --hash ' + p.headHash
    + ' (code de sortie 0 si le registre contient cette empreinte à cette position), ou la requête checkDocument.';
}

function provenanceRows(p) {
  return [
    ['Programme', p.programme],
    ['État', p.state],
    ['Position du journal', String(p.position)],
    ['Empreinte (SHA-256)', p.headHash],
    ['Calculé le', f.dateTime(p.computedAt)],
    ['Téléchargé le', f.dateTime(new Date().toISOString())],
    ['Vérification', verifyLine(p)],
  ];
}

/**
 * Declares the provenance of the document the page shows (`p`: the API's Provenance plus
 * `programme` and `state`, the bound in words; null to forget it). It is printed in the print
 * header and at the foot of every printed page, and written under every table downloaded.
 */
export function setProvenance(p) {
  provenance = p;
  const line = document.getElementById('print-provenance');
  if (line) line.textContent = p ? 'Registre à la position ' + p.position + ', empreinte ' + p.headHash + '. ' + verifyLine(p) : '';
  // Every printed page's foot: a page margin box, written through the CSSOM (the page's
  // Content-Security-Policy refuses inline styles, not constructed style sheets).
  if (!footSheet && 'adoptedStyleSheets' in document) {
    footSheet = new CSSStyleSheet();
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, footSheet];
  }
  if (footSheet) {
    const quoted = (t) => '"' + t.replace(/["\\]/g, '') + '"';
    footSheet.replaceSync(p
      ? '@page { @bottom-left { content: ' + quoted('chronique verify --position ' + p.position + ' --hash ' + p.headHash)
        + '; font-size: 6.5pt; font-family: monospace; } }'
      : '');
  }
}

/** The provenance block shown on screen under a document's title. */
export function provenanceNode(p) {
  return h('aside', { class: 'provenance', 'data-testid': 'provenance', 'data-position': p.position, 'data-hash': p.headHash },
    h('p', null, 'Document établi à partir du registre à la position ', h('strong', null, String(p.position)),
      ' (', p.state, '), calculé le ', f.dateTime(p.computedAt), '.'),
    h('p', { class: 'hash' }, 'Empreinte : ', h('code', { 'data-testid': 'provenance-hash' }, p.headHash)),
    h('p', { class: 'verify' }, verifyLine(p)));
}

// A column's cells as the CSV writes them say its type: `12000,50` money, `2026-03-14` a date,
// `44,8` or `12` a number; anything else is text.
function kindOf(values) {
  const cells = values.map((v) => (v === null || v === undefined ? '' : String(v))).filter((v) => v !== '');
  if (!cells.length) return 'text';
  if (cells.every((v) => /^-?\d+,\d{2}$/.test(v))) return 'money';
  if (cells.every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) return 'date';
  if (cells.every((v) => /^-?\d+(,\d+)?$/.test(v))) return 'number';
  return 'text';
}

function typed(v, kind) {
  const s = v === null || v === undefined ? '' : String(v);
  if (s === '') return null;
  if (kind === 'money') return Math.round(Number(s.replace(',', '.')) * 100);
  if (kind === 'number') return Number(s.replace(',', '.'));
  return s;
}

/** The same table as an .xlsx or .ods, written by the server (typed cells, « État au … » and the log position). */
export async function downloadXlsx(filename, header, rows, format = 'xlsx') {
  const columns = header.map((label, i) => ({ label: String(label), kind: kindOf(rows.map((r) => r[i])) }));
  const note = (document.getElementById('print-asof')?.textContent || '') + (provenance
    ? ' — position ' + provenance.position + ' du journal, empreinte ' + provenance.headHash + ' — ' + verifyLine(provenance)
    : ' — position ' + (document.body.dataset.position || '?') + ' du journal');
  const body = { title: filename.replace(/\.csv$/, ''), note, columns, format, rows: rows.map((r) => r.map((v, i) => typed(v, columns[i].kind))) };
  let res;
  try {
    res = await fetch('/spreadsheet/table', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authHeaders() },
      body: JSON.stringify(body),
    });
  } catch {
    res = null;
  }
  if (!res || !res.ok) {
    const el = document.getElementById('error');
    el.textContent = 'Le classeur n’a pas pu être préparé par le serveur : réessayez.';
    el.hidden = false;
    return;
  }
  downloadBlob(filename.replace(/\.csv$/, '.' + format), await res.blob());
}

/** « Télécharger en CSV », « en tableur (.xlsx) » and « (.ods) », for the same rows. */
export function csvButton(testid, filename, getHeaderAndRows, what) {
  return h('span', { class: 'downloads no-print' },
    h('button', {
      type: 'button', class: 'btn btn-small no-print', 'data-testid': testid,
      'data-filename': filename,
      onclick: () => { const [hd, rows] = getHeaderAndRows(); downloadCsv(filename, hd, rows); },
    }, 'Télécharger en CSV', h('span', { class: 'visually-hidden' }, ' : ' + what)),
    ' ',
    h('button', {
      type: 'button', class: 'btn btn-small btn-light no-print', 'data-testid': testid.replace(/^csv-/, 'xlsx-'),
      'data-filename': filename.replace(/\.csv$/, '.xlsx'),
      onclick: () => { const [hd, rows] = getHeaderAndRows(); downloadXlsx(filename, hd, rows); },
    }, 'en tableur (.xlsx)', h('span', { class: 'visually-hidden' }, ' : ' + what)),
    ' ',
    h('button', {
      type: 'button', class: 'btn btn-small btn-light no-print', 'data-testid': testid.replace(/^csv-/, 'ods-'),
      'data-filename': filename.replace(/\.csv$/, '.ods'),
      onclick: () => { const [hd, rows] = getHeaderAndRows(); downloadXlsx(filename, hd, rows, 'ods'); },
    }, '(.ods)', h('span', { class: 'visually-hidden' }, ' : ' + what)));
}

export function printButton() {
  return h('button', { type: 'button', class: 'btn no-print', 'data-testid': 'print-button', onclick: () => window.print() }, 'Imprimer');
}

/** The heading of a view: title, optional subtitle, and the print button. */
export function viewHeader(title, subtitle) {
  return h('div', { class: 'view-header' },
    h('div', null, h('h1', { tabindex: '-1', id: 'view-title' }, title), subtitle ? h('p', { class: 'subtitle' }, subtitle) : null),
    h('div', { class: 'view-tools' }, printButton()));
}

/**
 * A real table. columns: [{label, cell(row) → string|Node, csv(row) → string, num}];
 * footer: [{text, num, testid}] cells of a total row (th for the first).
 */
export function dataTable({ caption, columns, rows, footer, csvName, testid, empty, rowAttrs }) {
  const table = h('table', { 'data-testid': testid },
    h('caption', null, caption),
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
    h('tbody', null, rows.length === 0
      ? h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, empty || 'Aucune ligne.'))
      : rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : null, columns.map((c, i) => {
        const v = c.cell(r);
        return i === 0 && c.rowHeader ? h('th', { scope: 'row' }, v) : h('td', { class: c.num ? 'num' : null }, v);
      })))),
    footer ? h('tfoot', null, h('tr', { 'data-testid': testid + '-total' }, footer.map((c, i) => i === 0
      ? h('th', { scope: 'row', 'data-testid': c.testid }, c.text)
      : h('td', { class: c.num ? 'num' : null, 'data-testid': c.testid }, c.node || c.text)))) : null);
  const wrap = h('div', { class: 'table-block' },
    h('div', { class: 'table-scroll' }, table));
  if (csvName) {
    wrap.append(csvButton('csv-' + testid, csvName, () => [
      columns.map((c) => c.label),
      [...rows.map((r) => columns.map((c) => (c.csv ? c.csv(r) : text(c.cell(r))))),
        ...(footer ? [footer.map((c) => (c.csv !== undefined ? c.csv : c.text))] : [])],
    ], caption));
  }
  return wrap;
}

function text(v) { return v instanceof Node ? v.textContent : (v ?? ''); }

/** One history or timeline sentence with its actor and both dates; superseded ones struck. */
export function entryMeta(e) {
  return h('p', { class: 'meta' },
    h('span', { class: 'kind' }, f.kindLabel(e.kind)), ' · ',
    h('span', null, 'par ', e.actor), ' · ',
    h('span', null, 'décidé le ', h('time', { datetime: e.effectiveOn }, f.date(e.effectiveOn))), ' · ',
    h('span', null, 'enregistré le ', h('time', { datetime: e.recordedAt }, f.dateTime(e.recordedAt))),
    e.amount !== null && e.amount !== undefined ? [' · ', h('span', { class: 'amount' }, f.money(e.amount))] : null);
}

export function summaryNode(e) {
  if (e.supersededBy === null || e.supersededBy === undefined) return h('p', { class: 'summary' }, e.summary);
  return h('p', { class: 'summary' },
    h('del', null, e.summary), ' ',
    h('span', { class: 'superseded-note' }, '(remplacée par ',
      h('a', { href: '#entry-' + e.supersededBy, 'data-testid': 'superseded-link' }, "l'entrée n° " + e.supersededBy), ')'));
}

/**
 * A history, oldest first. With `erase(entry, button)`, an entry whose texts may still be erased
 * (`erasableFields`, given to a pilot or an ADMIN) has a button that calls it.
 */
export function historyList(entries, testid, { erase } = {}) {
  const sorted = [...entries].sort((a, b) => a.position - b.position);
  const eraseButton = (e) => {
    if (!erase || !(e.erasableFields || []).length) return null;
    const b = h('button', { type: 'button', class: 'btn btn-small btn-light no-print', 'data-testid': 'erase-' + e.position },
      'Effacer un texte…', h('span', { class: 'visually-hidden' }, ' de l’événement n° ' + e.position));
    b.addEventListener('click', () => erase(e, b));
    return b;
  };
  return h('ol', { class: 'history', 'data-testid': testid },
    sorted.map((e) => h('li', {
      id: 'entry-' + e.position, tabindex: '-1', 'data-position': e.position, 'data-testid': testid + '-entry',
      class: e.supersededBy !== null && e.supersededBy !== undefined ? 'is-superseded' : null,
    }, summaryNode(e), entryMeta(e), eraseButton(e))));
}

export function section(title, ...children) {
  return h('section', { class: 'block' }, h('h2', null, title), ...children);
}

export function dl(pairs) {
  return h('dl', { class: 'card-fields' }, pairs.filter(Boolean).map(([k, v, attrs]) => [h('dt', null, k), h('dd', attrs || null, v)]));
}
