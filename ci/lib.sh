# ci/lib.sh - sourced by the ci/ scripts.
set -euo pipefail
PS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PS_ROOT
export PS_CACHE=${PS_CACHE:-$HOME/.cache/peershake}
cd "$PS_ROOT"

# The public vectors are read in place, never copied: PS_SHARED_VECTORS, else
# ../shared/vectors beside this checkout, else beside the checkout this one
# was cloned from (a local clone of a working tree). Absent: tests skip.
if [ -z "${PS_SHARED_VECTORS:-}" ]; then
	for cand in "$PS_ROOT/../shared/vectors" \
		"$(git -C "$PS_ROOT" remote get-url origin 2>/dev/null || true)/../shared/vectors"; do
		if [ -d "$cand" ] && [[ $cand == /* ]]; then
			PS_SHARED_VECTORS=$(cd "$cand" && pwd)
			export PS_SHARED_VECTORS
			break
		fi
	done
fi

ps_banner() { printf '\n==== %s ====\n' "$*"; }

# Print the environment first, as secp256k1's ci.sh does: a red run is
# read from its top.
ps_print_env() {
	ps_banner "environment"
	echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host:     $(uname -srm)"
	echo "debian:   $(cat /etc/debian_version 2>/dev/null || echo '?')"
	echo "commit:   $(git -C "$PS_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
	for t in cc clang cmake ninja bats node go /usr/bin/python3; do
		if command -v "$t" >/dev/null 2>&1; then
			printf '%-9s %s\n' "$(basename "$t"):" "$("$t" --version 2>&1 | head -n1)"
		fi
	done
	echo "nproc:    $(nproc)"
	echo "vectors:  ${PS_SHARED_VECTORS:-absent (the public-vector tests will skip)}"
}

# ps_build PRESET: configure and build a CMake preset (debug or release).
ps_build() {
	local preset=$1
	ps_banner "build ($preset)"
	cmake --preset "$preset" >/dev/null
	cmake --build --preset "$preset"
}
