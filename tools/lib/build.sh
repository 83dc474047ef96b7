# shellcheck shell=bash
#
# Configure and build the tree (sourced by tools/test and tools/demo after
# tools/lib/common.sh).  The build dir is $GH_BUILD (default build/).

# meson setup (or --reconfigure when the build dir exists), then ninja.
gh_build() {
	local -a opts=(-Dwerror=true)
	local log rc=0
	log=$(mktemp)
	if [[ -f $GH_BUILD/build.ninja ]]; then
		say "meson setup --reconfigure $GH_BUILD ${opts[*]}"
		meson setup --reconfigure "$GH_BUILD" "$GH_ROOT" "${opts[@]}" >"$log" 2>&1 || rc=$?
	else
		say "meson setup $GH_BUILD ${opts[*]}"
		meson setup "$GH_BUILD" "$GH_ROOT" "${opts[@]}" >"$log" 2>&1 || rc=$?
	fi
	((rc == 0)) || cat "$log" >&2
	rm -f "$log"
	((rc == 0)) || return 1
	say "ninja -C $GH_BUILD"
	ninja -C "$GH_BUILD"
}
