# shellcheck shell=bash
#
# Configure and build the tree (sourced by tools/test and tools/demo after
# tools/lib/common.sh).  The build dir is $GH_BUILD (default build/).

# meson setup (or --reconfigure when the build dir exists), then ninja.
# gh_build [DIR [MESON_OPTION...]]: DIR defaults to $GH_BUILD; options are
# added to -Dwerror=true.
gh_build() {
	local dir=${1:-$GH_BUILD}
	(($# == 0)) || shift
	local -a opts=(-Dwerror=true "$@")
	local log rc=0
	log=$(mktemp)
	if [[ -f $dir/build.ninja ]]; then
		say "meson setup --reconfigure $dir ${opts[*]}"
		meson setup --reconfigure "$dir" "$GH_ROOT" "${opts[@]}" >"$log" 2>&1 || rc=$?
	else
		say "meson setup $dir ${opts[*]}"
		meson setup "$dir" "$GH_ROOT" "${opts[@]}" >"$log" 2>&1 || rc=$?
	fi
	((rc == 0)) || cat "$log" >&2
	rm -f "$log"
	((rc == 0)) || return 1
	say "ninja -C $dir"
	ninja -C "$dir"
}
