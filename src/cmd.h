/* Subcommand entry points, one file each (cmd_<name>.c). argv[0] is the subcommand's name. */
#pragma once
int cmd_server(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_netexec(int argc, char **argv);
int cmd_podnet(int argc, char **argv);
/* A test aid (tests/e2e/test_runtime.sh): the exec runtime driven without an API server. */
int cmd_runtime_test(int argc, char **argv);
