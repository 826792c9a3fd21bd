#!/bin/bash
# Bash arithmetic loops: primes below 200, Fibonacci numbers and a factorial.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
primes=()
for ((n = 2; n < 200; n++)); do
  p=1
  for ((d = 2; d * d <= n; d++)); do ((n % d == 0)) && { p=0; break; }; done
  ((p)) && primes+=("$n")
done
echo "${#primes[@]} primes, last ${primes[-1]}"
a=0; b=1; for i in {1..20}; do ((t = a + b, a = b, b = t)); done; echo "fib $a"
f=1; for i in {1..15}; do ((f *= i)); done; echo "15! = $f"
