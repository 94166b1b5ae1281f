// A tiny element builder: every text goes through text nodes, never through innerHTML.

/**
 * h('a', {href: '#/', class: 'x', 'data-testid': 't', onclick: f}, 'text', child, [more])
 * Attributes with value null, undefined or false are left out; true gives an empty attribute.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value' && 'value' in el) el.value = v;
      else if (k === 'checked' || k === 'selected') el[k] = Boolean(v);
      // The page's Content-Security-Policy refuses style attributes; the CSSOM is allowed.
      else if (k === 'style') el.style.cssText = String(v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

export function $(sel, root = document) { return root.querySelector(sel); }
