// rules.js against the rules of play.
import test from 'node:test';
import assert from 'node:assert/strict';
import { STATIONS, band, damageBand, distance, moveRange, rangeModifier, sensorRange, weaponReach } from '../../www/js/rules.js';

test('distance is Euclidean rounded down', () => {
  assert.equal(distance({ x: 0, y: 0 }, { x: 3, y: 4 }), 5);
  assert.equal(distance({ x: 100, y: 500 }, { x: 350, y: 450 }), 254);   // 254.95
  assert.equal(distance({ x: 0, y: 0 }, { x: 1000, y: 1000 }), 1414);
});

test('bands: short 0..100, medium 101..300, long 301..600, none beyond', () => {
  assert.deepEqual([0, 100, 101, 300, 301, 600, 601].map(band), ['short', 'short', 'medium', 'medium', 'long', 'long', null]);
  assert.equal(band(undefined), null);
});

test('move range: thrust x 25, halved drive, overcharge', () => {
  assert.equal(moveRange({ thrust: 4, systems: { drive: 'ok' } }), 100);
  assert.equal(moveRange({ thrust: 5, systems: { drive: 'damaged' } }), 50);
  assert.equal(moveRange({ thrust: 5, systems: { drive: 'damaged' } }, { overcharge: true }), 75);
  assert.equal(moveRange({ thrust: 3 }, { overcharge: true }), 100);
});

test('sensor range halves with damaged sensors', () => {
  assert.equal(sensorRange({ sensors: 350, systems: { sensors: 'ok' } }), 350);
  assert.equal(sensorRange({ sensors: 351, systems: { sensors: 'damaged' } }), 175);
});

test('weapons reach 600; modifiers by band', () => {
  for (const w of ['pulse laser', 'beam laser', 'particle beam', 'missile rack'])
    assert.equal(weaponReach(w), 600);
  assert.equal(weaponReach('railgun'), 0);
  assert.equal(rangeModifier('pulse laser', 450), -3);
  assert.equal(rangeModifier('particle beam', 50), -1);
  assert.equal(rangeModifier('missile rack', 601), null);
});

test('stations and damage bands', () => {
  assert.deepEqual(STATIONS, ['captain', 'pilot', 'gunner', 'engineer', 'sensors']);
  assert.deepEqual([80, 60, 59, 40, 39, 20, 19, 0].map((h) => damageBand(h, 80)),
    ['none', 'none', 'light', 'light', 'heavy', 'heavy', 'critical', 'destroyed']);
});
