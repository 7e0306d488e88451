// What both tactical maps draw with: SVG elements, the ships' outlines by
// class (nose up, in map units), a wreck's cross, and a coordinate kept on
// the 0..1000 field.

const NS = 'http://www.w3.org/2000/svg';

export const SHIP_SHAPES = {
  scout: 'M0,-11L8,9L-8,9Z',
  corvette: 'M0,-14L10,11L0,6L-10,11Z',
  trader: 'M-10,-12H10V12H-10Z',
  frigate: 'M0,-16L12,0L7,14H-7L-12,0Z',
  destroyer: 'M0,-21L14,-4L11,17H-11L-14,-4Z',
};
export const WRECK_SHAPE = 'M-10,-10L10,10M10,-10L-10,10';

// A new SVG element with attributes, appended to parent when given.
export function svg(name, attrs = {}, parent = null) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.append(e);
  return e;
}

// A map coordinate rounded and kept on the field.
export const clampToField = (v) => Math.max(0, Math.min(1000, Math.round(v)));
