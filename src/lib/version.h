/* The Kubernetes version Portico reports in /version. kubectl's version dispatcher on these
 * machines picks its client from it, and clients gate features on it. */
#pragma once
#ifndef PORTICO_VERSION
#define PORTICO_VERSION "unknown"
#endif
#define K8S_MAJOR "1"
#define K8S_MINOR "33"
#define K8S_GIT_VERSION "v1.33.0-portico"
