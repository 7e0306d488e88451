// Headless Chromium against broadsided over TLS (test_tls_chromium.sh
// runs it): opens an EventSource on https:// to a battle's events,
// receives its snapshot, posts a narration from the page and receives it
// as a log event, and reports the protocol the page was loaded with.
//
//   node eventsource_h2.mjs BASE_URL BATTLE_ID GM_TOKEN USER_DATA_DIR
//
// playwright-core comes from NODE_PATH (the test installs it into the
// build tree).  Prints one JSON line on stdout: { protocol,
// fetchProtocol, events, narration }.  Exit status: 0 when the stream worked, 1 otherwise.  The
// whole run is bounded by 60 s.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const [base, id, token, userDataDir] = process.argv.slice(2);
if (!base || !id || !token || !userDataDir) {
	console.error('usage: eventsource_h2.mjs BASE_URL BATTLE_ID GM_TOKEN USER_DATA_DIR');
	process.exit(2);
}

const deadline = setTimeout(() => {
	console.error('eventsource_h2: no result within 60 s');
	process.exit(1);
}, 60000);

const context = await chromium.launchPersistentContext(userDataDir, {
	executablePath: '/usr/bin/chromium',
	headless: true,
	args: [
		'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
		'--no-first-run', '--disable-background-networking',
		'--disable-component-update', '--disable-sync',
		'--ignore-certificate-errors',
	],
});
let status = 1;
try {
	const page = context.pages()[0] || await context.newPage();
	await page.goto(base + '/healthz');
	const result = await page.evaluate(async ({ id, token }) => {
		const events = [];
		const es = new EventSource('/v1/battles/' + encodeURIComponent(id) +
		    '/events?access_token=' + encodeURIComponent(token));
		// Every event is recorded from the start, so that none can
		// arrive before its listener does.
		const seen = { snapshot: [], log: [] };
		for (const type of Object.keys(seen))
			es.addEventListener(type, (e) => {
				events.push(type);
				seen[type].push(e.data);
			});
		const waitFor = async (type, test, ms) => {
			for (let waited = 0; waited < ms; waited += 50) {
				const hit = seen[type].find((d) => !test || test(d));
				if (hit !== undefined)
					return hit;
				await new Promise((r) => setTimeout(r, 50));
			}
			return null;
		};
		if (await waitFor('snapshot', null, 20000) === null)
			throw new Error('no snapshot within 20 s');
		// A narration comes back as a log event at once.
		const text = 'Narrated to Chromium over TLS';
		const posted = await fetch('/v1/battles/' +
		    encodeURIComponent(id) + '/narration', {
			method: 'POST',
			headers: {
				'Authorization': 'Bearer ' + token,
				'Content-Type': 'application/json',
			},
			body: JSON.stringify({ text }),
		});
		await posted.text();	/* its timing entry comes with the body */
		if (!posted.ok)
			throw new Error('narration: HTTP ' + posted.status);
		const log = await waitFor('log', (data) => data.includes(text),
		    8000);
		if (log === null)
			throw new Error('no log event for the narration; got: ' +
			    events.join(','));
		es.close();
		const nav = performance.getEntriesByType('navigation')[0];
		const res = performance.getEntriesByType('resource')
		    .filter((r) => r.name.includes('/narration'))[0];
		return {
			protocol: nav ? nav.nextHopProtocol : '',
			fetchProtocol: res ? res.nextHopProtocol : '',
			events,
			narration: true,
		};
	}, { id, token });
	console.log(JSON.stringify(result));
	if (result.protocol === 'h2' && result.narration)
		status = 0;
} catch (e) {
	console.error('eventsource_h2: ' + (e && e.stack ? e.stack : e));
} finally {
	await context.close();
	clearTimeout(deadline);
}
process.exit(status);
