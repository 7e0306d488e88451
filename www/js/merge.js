// JSON Merge Patch (RFC 7386): how a `delta` event of the battle stream is
// applied to the view document.  Objects of the target are changed in place;
// nothing of the patch is shared with the result except arrays, which a
// patch always replaces whole.

// Whether v is a JSON object (not null, not an array).
export function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// Sets an own property, "__proto__" included, without touching prototypes.
function setOwn(obj, key, value) {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else
    obj[key] = value;
}

// Applies patch to target as RFC 7386 says and returns the result: target
// itself, changed in place, when both are objects; patch when it is not one.
export function mergePatch(target, patch) {
  if (!isObject(patch))
    return patch;
  const out = isObject(target) ? target : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null)
      delete out[key];
    else
      setOwn(out, key, mergePatch(Object.hasOwn(out, key) ? out[key] : undefined, value));
  }
  return out;
}
