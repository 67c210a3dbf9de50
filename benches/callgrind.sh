#!/bin/sh
# Instructions per iteration of each path of examples/profile.rs, under
# callgrind: (Ir at N2 iterations - Ir at N1) / (N2 - N1), so setup (loading
# the builtin library, the warm-up round) cancels out. Stable to a few
# instructions on a busy machine, unlike times.
#   cargo build --release --example profile && sh benches/callgrind.sh [PATH...]
set -eu
bin=target/release/examples/profile
paths=${*:-seed seed-parse seed-apply hand-seed token hand-token callback decide hand-callback load load-1051}
tmp=$(mktemp -d)
for p in $paths; do
  case $p in
    load|load-1051) n1=1; n2=3 ;;
    *) n1=100; n2=1100 ;;
  esac
  ir() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$bin" "$p" "$1" >/dev/null 2>"$tmp/err"
    grep -o 'Collected : [0-9]*' "$tmp/err" | grep -o '[0-9]*$'
  }
  a=$(ir $n1); b=$(ir $n2)
  echo "$p: $(( (b - a) / (n2 - n1) )) instructions per iteration"
done
rm -rf "$tmp"
