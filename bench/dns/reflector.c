/* bench/dns/reflector: the floor of a UDP DNS server on this machine — the "bare
 * reflector". One thread, one socket on 127.0.0.1:PORT; every datagram goes back to its sender
 * with QR set and nothing else done (recvmmsg/sendmmsg in batches of up to 64, as Portico's
 * workers do). What a real server spends per query above this is its own work; the rest is the
 * kernel's. Usage: reflector PORT */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define BUFSZ 4096

int main(int argc, char **argv)
{
	static unsigned char buf[BATCH][BUFSZ];
	struct sockaddr_in peer[BATCH], sa = { .sin_family = AF_INET };
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	int fd, n, i;

	if (argc != 2) {
		fprintf(stderr, "usage: reflector PORT\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("reflector: socket/bind");
		return 1;
	}
	for (;;) {
		for (i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ buf[i], BUFSZ };
			msg[i].msg_hdr = (struct msghdr){ .msg_name = &peer[i], .msg_namelen = sizeof(peer[i]),
							  .msg_iov = &iov[i], .msg_iovlen = 1 };
		}
		n = recvmmsg(fd, msg, BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (msg[i].msg_len >= 3)
				buf[i][2] |= 0x80; /* QR */
			iov[i].iov_len = msg[i].msg_len;
		}
		if (sendmmsg(fd, msg, (unsigned)n, 0) < 0)
			perror("reflector: sendmmsg");
	}
}
