/* The Deployment controller (upstream pkg/controller/deployment plus the part of
 * pkg/controller/replicaset that creates and deletes Pods): Portico serves no ReplicaSets, so each
 * Deployment creates its Pods itself, named "<deploy>-<template-hash>-<random>" with the
 * pod-template-hash label and a controller ownerReference, and keeps status for kubectl get,
 * rollout status and scale. Runs on the kclient's event loop; see deploy_logic.h for the pure part. */
#pragma once
#include "client/informer.h"
#include "client/kclient.h"

typedef struct deploy_ctrl deploy_ctrl_t;

/* Starts an informer on deployments and a work queue with 5 parallel syncs (upstream's
 * --concurrent-deployment-syncs). pods: a shared pod informer not started yet (borrowed: the
 * caller starts it, and frees it after this controller), or NULL for one of our own. Adds the index
 * "deploy-owner". *ret: caller frees with deploy_ctrl_free() (before the kclient). */
int deploy_ctrl_new(kclient_t *c, informer_t *pods, deploy_ctrl_t **ret);
/* In-flight writes are cancelled. Accepts NULL. */
void deploy_ctrl_free(deploy_ctrl_t *d);
