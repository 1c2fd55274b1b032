#!/usr/bin/perl
# An ABBA deadlock made with Perl's IPC::Semaphore, for the blocked tests:
# two children each take one semaphore of a set (SEM_UNDO) and then wait
# for the other's.  Prints {"semid", "a", "b"} once both have taken their
# first; the children stay blocked until killed (the test ends them by
# pid), this process waits for them.
use strict;
use warnings;
use IPC::SysV qw(IPC_PRIVATE IPC_CREAT S_IRUSR S_IWUSR SEM_UNDO);
use IPC::Semaphore;

$| = 1;
my $sem = IPC::Semaphore->new(IPC_PRIVATE, 2, S_IRUSR | S_IWUSR | IPC_CREAT) or die "semget: $!";
$sem->setall(1, 1) or die "setall: $!";
pipe(my $took_r, my $took_w) or die "pipe: $!";
pipe(my $go_r, my $go_w) or die "pipe: $!";

sub half {
	my ($first, $second) = @_;
	my $pid = fork() // die "fork: $!";
	return $pid if $pid;
	close $took_r;
	close $go_w;
	$sem->op($first, -1, SEM_UNDO) or die "op: $!";
	syswrite $took_w, "x";
	sysread $go_r, my $b, 1;           # both hold one: now the other
	$sem->op($second, -1, SEM_UNDO);
	exit 0;
}

my $a = half(0, 1);
my $b = half(1, 0);
close $took_w;
close $go_r;
sysread $took_r, my $x, 1 for 1 .. 2;
close $go_w;                           # EOF: both go for their second
print qq({"semid":${\$sem->id},"a":$a,"b":$b}\n);
waitpid($_, 0) for $a, $b;
