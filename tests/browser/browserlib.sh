# Shared by the browser tests and benches (sourced after
# tests/integration/lib.sh, never run on its own).
#
# browser_setup: finds Debian's chromium and the npm packages of
# tests/browser/package-lock.json (playwright-core, axe-core).  ./bootstrap
# installs them with `npm ci` into tests/browser/node_modules of the source
# tree; when that is missing or out of date (a read-only source tree, as
# under make distcheck, or a tree bootstrapped before the lockfile
# changed), they are installed with `npm ci` from the same lockfile into
# tests/browser of the build tree.  Sets BROWSER_NODE_MODULES (for
# NODE_PATH).  Exits 77 (skip) only when /usr/bin/chromium is missing, and
# says so; a failed npm install fails the test.

BROWSER_SRC=$BS_SRCDIR/tests/browser

# browser_modules_ok DIR: whether DIR/node_modules holds every package of
# the lockfile at the locked version.
browser_modules_ok() {
	[ -d "$1/node_modules" ] || return 1
	node -e '
	    const fs = require("fs"), path = require("path");
	    const lock = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
	    for (const [p, v] of Object.entries(lock.packages || {})) {
		if (!p.startsWith("node_modules/")) continue;
		const f = path.join(process.argv[2], p, "package.json");
		let got = null;
		try { got = JSON.parse(fs.readFileSync(f, "utf8")).version; } catch {}
		if (got !== v.version) process.exit(1);
	    }' "$BROWSER_SRC/package-lock.json" "$1" 2>/dev/null
}

browser_setup() {
	if [ ! -x /usr/bin/chromium ]; then
		note "SKIP: /usr/bin/chromium is not installed (Debian package chromium; ./bootstrap installs it)"
		exit 77
	fi
	need_tool node node nodejs
	if browser_modules_ok "$BROWSER_SRC"; then
		BROWSER_NODE_MODULES=$BROWSER_SRC/node_modules
		return 0
	fi
	need_tool npm npm npm
	dir=$BS_BUILDDIR/tests/browser
	if ! browser_modules_ok "$dir"; then
		mkdir -p "$dir"
		# One install at a time: make -j runs browser tests side by
		# side, and two npm ci in one directory spoil each other.
		(
			flock -w 280 9 || exit 1
			! browser_modules_ok "$dir" || exit 0
			if [ "$(cd "$dir" && pwd)" != "$(cd "$BROWSER_SRC" && pwd)" ]; then
				cp "$BROWSER_SRC/package.json" \
				    "$BROWSER_SRC/package-lock.json" "$dir/"
				chmod u+w "$dir/package.json" \
				    "$dir/package-lock.json"
			fi
			cd "$dir" && exec npm ci --no-audit --no-fund \
			    --loglevel=error
		) 9>"$dir/.npm-lock" >"$TMP/npm.log" 2>&1 &
		npm_pid=$!
		track_client "$npm_pid"
		wait_exit "$npm_pid" 300
		[ "$EXIT_STATUS" -eq 0 ] ||
		    fail "npm ci in $dir (status $EXIT_STATUS): $(tail -n 5 "$TMP/npm.log")"
		browser_modules_ok "$dir" ||
		    fail "npm ci in $dir did not install the locked versions"
	fi
	BROWSER_NODE_MODULES=$dir/node_modules
}
