/* TCP connect latency: COUNT connects to ADDR:PORT (each closed with RST, so no TIME_WAIT piles
 * up); prints the median and the 99th percentile in microseconds. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct linger lg = { 1, 0 };
	int i, n, fails = 0;
	double *v;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: connlat ADDR PORT COUNT\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	n = atoi(argv[3]);
	v = calloc((size_t)n, sizeof(double));
	for (i = 0; i < n; i++) {
		struct timespec a, b;
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			fails++;
		clock_gettime(CLOCK_MONOTONIC, &b);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		v[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
	}
	qsort(v, (size_t)n, sizeof(double), cmpd);
	printf("%.1f %.1f %d\n", v[n / 2], v[n * 99 / 100], fails);
	return fails ? 1 : 0;
}
