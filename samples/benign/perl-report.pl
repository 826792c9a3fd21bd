#!/usr/bin/perl
# Perl report: reads /etc/services and lists the ten lowest TCP ports with their names.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
use strict;
use warnings;
my %port;
open(my $fh, '<', '/etc/services') or die "services: $!";
while (<$fh>) {
    next if /^\s*(#|$)/;
    my ($name, $pp) = split;
    my ($num, $proto) = split m{/}, $pp;
    $port{$num} //= $name if $proto eq 'tcp';
}
close $fh;
printf "%5d %s\n", $_, $port{$_} for (sort { $a <=> $b } keys %port)[0 .. 9];
