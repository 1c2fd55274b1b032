#!/usr/bin/perl
# Perl's core IPC::SysV modules (IPC::Semaphore, IPC::Msg, shmget/shmwrite/
# shmread) doing one of each System V IPC call, for the trace tests: real
# software's calls, decoded by ipcscope and by strace.  Prints one JSON line
# with the ids it made; removes everything before it exits unless asked to
# leak ("leak": the segment stays, for the leak tests).
use strict;
use warnings;
use IPC::SysV qw(IPC_PRIVATE IPC_CREAT IPC_RMID S_IRUSR S_IWUSR IPC_NOWAIT SEM_UNDO);
use IPC::Semaphore;
use IPC::Msg;

my $leak = @ARGV && $ARGV[0] eq "leak";
my $sem = IPC::Semaphore->new(IPC_PRIVATE, 2, S_IRUSR | S_IWUSR | IPC_CREAT) or die "semget: $!";
$sem->setall(1, 0) or die "semctl SETALL: $!";
$sem->op(0, -1, SEM_UNDO, 1, 1, 0) or die "semop: $!";       # two sembufs in one call
$sem->op(1, -1, IPC_NOWAIT) or die "semop: $!";
my @vals = $sem->getall;
my $msg = IPC::Msg->new(IPC_PRIVATE, S_IRUSR | S_IWUSR | IPC_CREAT) or die "msgget: $!";
$msg->snd(7, "perl payload") or die "msgsnd: $!";
my $buf;
$msg->rcv($buf, 64, 7) or die "msgrcv: $!";
my $shm = shmget(IPC_PRIVATE, 4096, S_IRUSR | S_IWUSR | IPC_CREAT) // die "shmget: $!";
shmwrite($shm, "hello", 0, 5) or die "shmwrite: $!";     # shmat + shmdt
my $back;
shmread($shm, $back, 0, 5) or die "shmread: $!";
print qq({"sem":${\$sem->id},"msg":${\$msg->id},"shm":$shm,"read":"$back","vals":[@{[join ",", @vals]}]}\n);
$sem->remove;
$msg->remove;
shmctl($shm, IPC_RMID, 0) or die "shmctl: $!" unless $leak;
