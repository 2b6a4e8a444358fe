#!/bin/sh
# Runs one libFuzzer target for a bounded time on a copy of its seed corpus,
# so that nothing is ever written into the source tree.
#
#   run-fuzzer.sh FUZZER CORPUS_DIR ARTIFACT_DIR [LIBFUZZER_FLAG...]
#
# FUZZ_SECONDS (default 20) is the time to fuzz; FUZZ_ASAN_OPTIONS, what the
# target adds to ASAN_OPTIONS (meson.build sets it per target). A crash, a
# broken invariant, a leak or an input that hangs fails the run: the input is
# kept in ARTIFACT_DIR and libFuzzer's "Test unit written to ..." line in the
# log names it (replay it with `FUZZER FILE`). The last line says how many
# inputs ran.
set -u

fuzzer=$1
corpus=$2
artifacts=$3
shift 3
seconds=${FUZZ_SECONDS:-20}
name=$(basename "$fuzzer")

work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$artifacts"
cp "$corpus"/* "$work/corpus/"

# A build that links the shared ASan runtime (clang's -shared-libasan) needs
# it loaded first; the sanitizer test setup preloads it, a direct run may not.
asan_runtime=$(ldd "$fuzzer" 2>/dev/null | awk '/libclang_rt\.asan/ { print $3 }')
case ":${LD_PRELOAD:-}:" in
  *":$asan_runtime:"*) ;;
  *) [ -n "$asan_runtime" ] && export LD_PRELOAD="$asan_runtime${LD_PRELOAD:+:$LD_PRELOAD}" ;;
esac

# Leaks count as failures here, whatever the sanitizer build's test setup
# says for the other tests (later ASAN_OPTIONS entries win), except known
# ones of the libraries under our code (lsan.supp). GLib's slice allocator
# would hide leaks.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:abort_on_error=0${FUZZ_ASAN_OPTIONS:+:$FUZZ_ASAN_OPTIONS}"
export G_SLICE=always-malloc
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(dirname "$0")/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS LSAN_OPTIONS

"$fuzzer" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$@" "$work/corpus" >"$work/log" 2>&1
status=$?

if [ "$status" -ne 0 ]; then
  # The whole report: the sanitizer's or the invariant's message, the stack,
  # and where the input was written.
  cat "$work/log"
  echo "$name: FAILED (exit status $status); the input is in $artifacts/"
  exit 1
fi
# The statistics only: libFuzzer prints a line for every new input it finds.
grep -E '^(INFO: Loaded|INFO: seed corpus|stat::|Done )' "$work/log"
runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$work/log")
echo "$name: ${runs:-no run count} on $(ls "$work/corpus" | wc -l) corpus inputs"
