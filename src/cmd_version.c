/* portico version */
#include <stdio.h>

#include "cmd.h"
#include "lib/version.h"

int cmd_version(int argc, char **argv)
{
	printf("portico %s (Kubernetes API %s)\n", PORTICO_VERSION, K8S_GIT_VERSION);
	return 0;
}
