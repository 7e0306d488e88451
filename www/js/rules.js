// The rules of play (man/broadside-rules.7) that the consoles need to draw
// the map and check an order before sending it: distances, range bands,
// movement and sensor ranges, weapon reach.  Pure functions of their input;
// the server stays the judge.

export const STATIONS = ['captain', 'pilot', 'gunner', 'engineer', 'sensors'];

// Units per point of thrust in one round.
export const UNITS_PER_THRUST = 25;

// No weapon reaches beyond this distance.
export const MAX_WEAPON_RANGE = 600;

// Each weapon: the band it is best at, and its to-hit modifier by band.
export const WEAPONS = {
  'pulse laser': { best: 'short', modifiers: { short: 0, medium: -1, long: -3 } },
  'beam laser': { best: 'medium', modifiers: { short: 0, medium: 0, long: -2 } },
  'particle beam': { best: 'long', modifiers: { short: -1, medium: 0, long: 0 } },
  'missile rack': { best: 'any', modifiers: { short: 0, medium: 0, long: 0 } },
};

// Distance between two {x, y}: Euclidean, rounded down.
export function distance(a, b) {
  const dx = b.x - a.x, dy = b.y - a.y;
  // sqrt is exact on perfect squares, as the server's integer square root.
  return Math.floor(Math.sqrt(dx * dx + dy * dy));
}

// The range band of a distance: "short" (0..100), "medium" (101..300),
// "long" (301..600), or null beyond 600 (or for no distance).
export function band(d) {
  if (!(d >= 0)) return null;
  if (d <= 100) return 'short';
  if (d <= 300) return 'medium';
  if (d <= MAX_WEAPON_RANGE) return 'long';
  return null;
}

// How far a ship may move this round: thrust x 25, thrust halved (rounded
// down) with a damaged drive, +1 thrust when the engineer overcharges the drive.
export function moveRange(ship, { overcharge = false } = {}) {
  let thrust = ship.thrust ?? 0;
  if (ship.systems?.drive === 'damaged')
    thrust = Math.floor(thrust / 2);
  return (thrust + (overcharge ? 1 : 0)) * UNITS_PER_THRUST;
}

// A ship's sensor range: its sensors, halved (rounded down) when damaged.
export function sensorRange(ship) {
  const sensors = ship.sensors ?? 0;
  return ship.systems?.sensors === 'damaged' ? Math.floor(sensors / 2) : sensors;
}

// The farthest distance a weapon type can fire at (600 for every known
// type, missile racks included), or 0 for an unknown type.
export function weaponReach(type) {
  return Object.hasOwn(WEAPONS, type) ? MAX_WEAPON_RANGE : 0;
}

// The to-hit modifier of a weapon type at a distance, or null out of reach.
export function rangeModifier(type, d) {
  const b = band(d);
  return b && Object.hasOwn(WEAPONS, type) ? WEAPONS[type].modifiers[b] : null;
}

// The damage band of hull out of hullMax, as the views show it.
export function damageBand(hull, hullMax) {
  if (hull <= 0) return 'destroyed';
  if (hull * 4 < hullMax) return 'critical';
  if (hull * 2 < hullMax) return 'heavy';
  if (hull * 4 < hullMax * 3) return 'light';
  return 'none';
}
