// Small DOM helpers of the GM console.

// The element with this id.
export const $ = (id) => document.getElementById(id);

// A new element: attrs may hold class, text, on<event> handlers, DOM
// properties (value, checked, disabled, hidden, selected) or attributes.
export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false && !(k in PROPS)) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k in PROPS) e[k] = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat())
    if (kid !== null && kid !== undefined && kid !== false)
      e.append(kid);
  return e;
}
const PROPS = { value: 1, checked: 1, disabled: 1, hidden: 1, selected: 1 };

// A <select> of [value, label] pairs with value chosen.
export function select(attrs, options, value) {
  const s = el('select', attrs);
  for (const [v, label] of options)
    s.append(el('option', { value: String(v), text: label, selected: String(v) === String(value) }));
  return s;
}

// Replaces the options of a select, keeping its value when still offered.
export function setOptions(s, options) {
  const keep = s.value;
  s.replaceChildren(...options.map(([v, label]) => el('option', { value: String(v), text: label })));
  if (options.some(([v]) => String(v) === keep)) s.value = keep;
}

// A ship's name for people: "Raider (3)".
export const shipLabel = (ship, id) => ship ? `${ship.name} (${id ?? ship.id})` : `ship ${id}`;

// An integer from a form field, or null when it is blank.
export function intOf(input) {
  const t = String(input.value).trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isInteger(n) ? n : NaN;
}
