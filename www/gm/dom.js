// Small DOM helpers of the GM console (el itself is www/js/dom.js's).

import { el } from '../js/dom.js';

export { el };

// The element with this id.
export const $ = (id) => document.getElementById(id);


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
