/* portico: one binary, subcommands dispatched from a table (one file per subcommand). */
#include <stdio.h>
#include <string.h>

#include "agent/runtime.h"
#include "cmd.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "server", cmd_server, "run the API server (with the embedded SQLite store)" },
	{ "agent", cmd_agent, "run the node agent (registers the Node, renews its Lease)" },
	{ "netexec", cmd_netexec, "a small test server (HTTP and UDP), like agnhost netexec" },
	{ "podnet", cmd_podnet, "drive this node's pod network by hand (tests, debugging)" },
	{ "version", cmd_version, "print the version" },
	{ "supervise", runtime_supervise_main, "one pod's supervisor (started by the agent, not by hand)" },
	{ "runtime-test", cmd_runtime_test, "test aid: drive the exec runtime without an API server" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: portico <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "portico: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
