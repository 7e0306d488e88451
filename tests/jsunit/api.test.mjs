// Api: headers, the Idempotency-Key across retries, retries, ApiError.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Api, ApiError } from '../../www/js/api.js';
import { answer, fakeFetch } from './fakes.mjs';

// An Api on a scripted fetch; waits records each sleep instead of sleeping.
function api(script, options = {}) {
  const { fetch, calls } = fakeFetch(script);
  const waits = [];
  const client = new Api({ token: 'tok', fetchImpl: fetch, sleep: async (ms) => { waits.push(ms); }, ...options });
  return { client, calls, waits };
}

const RECEIPT = { battle: 'b1', accepted: true, round: 1, station: 'pilot', order: { type: 'evade' } };
const ORDER = { round: 1, station: 'pilot', type: 'evade' };

test('a change carries JSON, the token and an Idempotency-Key', async () => {
  const { client, calls } = api([answer(202, RECEIPT)]);
  assert.deepEqual(await client.order('b1', ORDER), RECEIPT);
  const { url, init } = calls[0];
  assert.equal(url, '/v1/battles/b1/orders');
  assert.equal(init.method, 'POST');
  assert.equal(init.headers.Authorization, 'Bearer tok');
  assert.equal(init.headers['Content-Type'], 'application/json');
  assert.match(init.headers['Idempotency-Key'], /^[A-Za-z0-9_-]{1,64}$/);
  assert.deepEqual(JSON.parse(init.body), ORDER);
});

test('each call has its own key; GET has none', async () => {
  const { client, calls } = api([answer(200, {}), answer(200, {}), answer(200, {})]);
  await client.takeStation('b1', 'pilot');
  await client.freeStation('b1', 'pilot');
  await client.me('b1');
  const keys = calls.map((c) => c.init.headers['Idempotency-Key']);
  assert.ok(keys[0] && keys[1] && keys[0] !== keys[1]);
  assert.equal(keys[2], undefined);
  assert.equal(calls[0].init.method, 'PUT');
  assert.equal(calls[0].init.body, undefined);
  assert.equal(calls[2].url, '/v1/battles/b1/me');
});

test('a network failure is retried with the same key, after 250 and 750 ms', async () => {
  const { client, calls, waits } = api([new TypeError('Failed to fetch'), new TypeError('Failed to fetch'), answer(202, RECEIPT)]);
  assert.deepEqual(await client.order('b1', ORDER), RECEIPT);
  assert.equal(calls.length, 3);
  const keys = new Set(calls.map((c) => c.init.headers['Idempotency-Key']));
  assert.equal(keys.size, 1);
  assert.deepEqual(waits, [250, 750]);
});

test('after three retries a network failure is an ApiError with status 0', async () => {
  const down = () => new TypeError('Failed to fetch');
  const { client, calls, waits } = api([down(), down(), down(), down()]);
  await assert.rejects(client.battle('b1'), (err) => err instanceof ApiError && err.status === 0 && /reach the server/.test(err.detail));
  assert.equal(calls.length, 4);
  assert.deepEqual(waits, [250, 750, 1500]);
});

test('429 waits Retry-After (capped at 10 s) and retries with the same key', async () => {
  const limited = (s) => answer(429, { type: 'urn:broadside:problem:rate-limited', title: 'Too Many Requests', status: 429, detail: 'slow down' }, { 'Retry-After': s });
  const { client, calls, waits } = api([limited('2'), limited('60'), answer(200, { done: 'start' })]);
  assert.deepEqual(await client.start('b1'), { done: 'start' });
  assert.deepEqual(waits, [2000, 10000]);
  assert.equal(new Set(calls.map((c) => c.init.headers['Idempotency-Key'])).size, 1);
});

test('429s are retried a bounded number of times, then surface', async () => {
  const limited = () => answer(429, { type: 'urn:broadside:problem:rate-limited', status: 429, detail: 'slow down' }, { 'Retry-After': '1' });
  const { client, calls } = api([limited(), limited(), limited(), limited(), limited()]);
  await assert.rejects(client.me('b1'), (err) => err.status === 429 && err.detail === 'slow down');
  assert.equal(calls.length, 4);
});

test('a 409 while the same key is in flight is retried', async () => {
  const inFlight = answer(409, { type: 'urn:broadside:problem:idempotency-in-flight', status: 409, detail: 'in flight' });
  const { client, calls, waits } = api([inFlight, answer(202, RECEIPT)]);
  assert.deepEqual(await client.order('b1', ORDER), RECEIPT);
  assert.equal(calls.length, 2);
  assert.deepEqual(waits, [250]);
});

test('problem+json is thrown as ApiError with the server\'s detail', async () => {
  const problem = {
    type: 'urn:broadside:problem:wrong-round', title: 'Conflict', status: 409,
    detail: 'this order is for round 2 but the battle is in round 3; resend it with "round":3',
  };
  const { client, calls } = api([answer(409, problem, { 'Content-Type': 'application/problem+json' })]);
  await assert.rejects(client.order('b1', ORDER), (err) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 409);
    assert.equal(err.type, problem.type);
    assert.equal(err.title, 'Conflict');
    assert.equal(err.detail, problem.detail);
    assert.equal(err.message, problem.detail);
    return true;
  });
  assert.equal(calls.length, 1);
});

test('a non-JSON error body gets a sensible message', async () => {
  const html = answer(502, '<html><body>Bad Gateway</body></html>');
  html.statusText = 'Bad Gateway';
  const { client } = api([html, answer(500, 'database is locked\n')]);
  await assert.rejects(client.me('b1'), (err) => err.status === 502 && err.message === 'The server answered 502 Bad Gateway.');
  await assert.rejects(client.me('b1'), (err) => err.status === 500 && err.message === 'database is locked');
});

test('204 resolves to null; paths and queries are encoded', async () => {
  const { client, calls } = api([answer(204), answer(200, { entries: [], next: 5, more: false })]);
  assert.equal(await client.deleteBattle('b/1'), null);
  assert.equal(calls[0].url, '/v1/battles/b%2F1');
  await client.log('b1', 5, 50);
  assert.equal(calls[1].url, '/v1/battles/b1/log?after=5&limit=50');
});

test('join sends the code, name and role, without a token when none is set', async () => {
  const { client, calls } = api([answer(201, { token: 'new' })], { token: null });
  await client.join('b1', 'ABC123', 'Ann', 'spectator');
  assert.equal(calls[0].init.headers.Authorization, undefined);
  assert.deepEqual(JSON.parse(calls[0].init.body), { join_code: 'ABC123', name: 'Ann', role: 'spectator' });
});

test('the round clock and batch orders', async () => {
  const { client, calls } = api([answer(200, {}), answer(200, {}), answer(200, {})]);
  await client.pause('b1');
  await client.extend('b1', 30);
  await client.orders('b1', [ORDER]);
  assert.deepEqual(calls.map((c) => c.url), ['/v1/battles/b1/pause', '/v1/battles/b1/extend', '/v1/battles/b1/orders']);
  assert.deepEqual(JSON.parse(calls[1].init.body), { seconds: 30 });
  assert.deepEqual(JSON.parse(calls[2].init.body), { orders: [ORDER] });
});
