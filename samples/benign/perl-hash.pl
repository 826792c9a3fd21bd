#!/usr/bin/perl
# Perl data structures: word counts in a hash, sorting, sprintf formatting.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
use strict;
use warnings;
my $text = "the quick brown fox jumps over the lazy dog the end";
my %n;
$n{$_}++ for split ' ', $text;
for my $w (sort { $n{$b} <=> $n{$a} || $a cmp $b } keys %n) {
    printf "%-6s %d\n", $w, $n{$w};
}
