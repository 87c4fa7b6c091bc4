#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build of the harnesses in fuzz/, without CMake
# (the builder image's CMake may be older than the project's).
#
# Honours the OSS-Fuzz variables: $CC, $CFLAGS (sanitizers and coverage
# flags chosen by the infrastructure; they usually define
# FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION), $LIB_FUZZING_ENGINE (the engine
# to link: -fsanitize=fuzzer, libAFLDriver, ...) and $OUT (where the fuzzers,
# their seed corpora <name>_seed_corpus.zip and dictionaries <name>.dict
# go). $CXX links when set (libFuzzer is C++); $WORK is scratch space.
#
# As the CMake build (fuzz/CMakeLists.txt) does, the protocol library is
# compiled twice: with the fuzz-only null AEAD for every harness and without
# it (-U) for the _realcrypto twins. Run here:
#   CC=clang CFLAGS="-O1 -g -fsanitize=address,undefined,fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out .clusterfuzzlite/build.sh

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
: "${CC:=clang}" "${CFLAGS:=}" "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}" "${OUT:?set OUT}"
LD=${CXX:-$CC}
WORK=${WORK:-$(mktemp -d)}
B=$WORK/peershake-fuzz
rm -rf "$B"
mkdir -p "$B/fuzz" "$B/real" "$B/support" "$OUT"

TWINS="noise_msg1 noise_msg2 noise_transport noise_pair noise_peer btc_v2_initiator btc_v2_responder btc_v2_garbage"
DEFS=(-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE '-DPS_VERSION_STRING="fuzz"')
INC=(-I"$ROOT/ref" -I"$ROOT/fuzz/common")
for inc in /usr/include /usr/local/include; do [ -f "$inc/blake2.h" ] && INC+=(-I"$inc") && break; done
# the crypto libraries, statically where an archive exists
LIBS=()
for l in sodium b2 secp256k1 gmp; do
	a=$(find /usr/lib /usr/local/lib -name "lib$l.a" 2>/dev/null | head -n1)
	if [ -n "$a" ]; then LIBS+=("$a"); else LIBS+=("-l$l"); fi
done

# cc OUTDIR EXTRA-FLAGS... -- SOURCES...
cc() {
	local dir=$1 flags=() s
	shift
	while [ "$1" != -- ]; do flags+=("$1"); shift; done
	shift
	for s in "$@"; do
		# shellcheck disable=SC2086
		$CC $CFLAGS "${DEFS[@]}" "${INC[@]}" "${flags[@]}" -c "$s" \
			-o "$dir/$(echo "${s#"$ROOT"/}" | tr / _).o"
	done
}

LIB_SRCS=("$ROOT"/ref/core/*.c "$ROOT"/ref/crypto/*.c "$ROOT"/ref/btc/*.c "$ROOT"/ref/noise/*.c)
CLI_SRCS=("$ROOT/ref/cli/opts.c" "$ROOT/ref/cli/bugs.c" "$ROOT/ref/cli/crawlset.c")
cc "$B/fuzz" -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -- "${LIB_SRCS[@]}" "${CLI_SRCS[@]}"
cc "$B/real" -UFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -- "${LIB_SRCS[@]}" "${CLI_SRCS[@]}"
cc "$B/support" -- "$ROOT"/fuzz/common/*.c
ar rcs "$B/libfuzz.a" "$B"/fuzz/*.o
ar rcs "$B/libreal.a" "$B"/real/*.o
ar rcs "$B/libsupport.a" "$B"/support/*.o

dict_of() {
	local base=$1
	for d in "$ROOT/fuzz/dict/$base.dict" "$ROOT/fuzz/dict/${base%%_*}.dict"; do
		[ -f "$d" ] && { echo "$d"; return 0; }
	done
	return 0
}

n=0
for src in "$ROOT"/fuzz/*.c; do
	name=$(basename "$src" .c)
	cc "$B" -- "$src"
	obj=$B/fuzz_$name.c.o
	variants=fuzz
	case " $TWINS " in *" $name "*) variants="fuzz real" ;; esac
	for v in $variants; do
		out=$name
		[ "$v" = real ] && out=${name}_realcrypto
		# shellcheck disable=SC2086
		$LD $CFLAGS $LIB_FUZZING_ENGINE "$obj" "$B/libsupport.a" "$B/lib$v.a" "${LIBS[@]}" \
			-o "$OUT/$out"
		if [ -d "$ROOT/fuzz/corpus/$name" ]; then
			rm -f "$OUT/${out}_seed_corpus.zip"
			(cd "$ROOT/fuzz/corpus/$name" && zip -q -j "$OUT/${out}_seed_corpus.zip" ./*)
		fi
		d=$(dict_of "$name")
		[ -n "$d" ] && cp "$d" "$OUT/$out.dict"
		[ -f "$ROOT/fuzz/$name.options" ] && cp "$ROOT/fuzz/$name.options" "$OUT/$out.options"
		n=$((n + 1))
	done
done
echo "build.sh: $n fuzzers in $OUT"
