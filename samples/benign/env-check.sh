#!/bin/bash
# A build prerequisites check: which tools exist, their versions, the number of CPUs.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
for t in cc make python3 perl tar gzip; do
  if command -v "$t" >/dev/null; then printf '%-8s %s\n' "$t" "$(command -v "$t")"; else echo "$t missing"; fi
done
make --version | head -n 1
echo "cpus: $(nproc)"
