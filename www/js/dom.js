// A new HTML element in one call, for the pages' modules:
//   el('button', { type: 'button', class: 'go', onclick: fn }, 'Take', ...)
// attrs may hold class, text (the element's text), on<event> handlers,
// DOM properties (value, checked, disabled, hidden, selected) or
// attributes (true: present and empty; false, null, undefined: left out);
// kids are elements or strings, nested arrays flattened, null and false
// skipped.

const PROPS = { value: 1, checked: 1, disabled: 1, hidden: 1, selected: 1 };

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
