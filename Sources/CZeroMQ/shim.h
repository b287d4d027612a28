#ifndef SWEEP_CZEROMQ_SHIM_H
#define SWEEP_CZEROMQ_SHIM_H
#include <zmq.h>
#include <sys/epoll.h>
#endif
