/*
 * LD_PRELOAD library that gives the processes of one emulated pod their own
 * loopback address, as a pod has its own network namespace.
 *
 * KAFKAC_E2E_POD_IP holds the pod's address (an IPv4 address in 127.0.0.0/8).
 *   bind()    to the wildcard address (0.0.0.0, ::, ::ffff:0.0.0.0) or the
 *             loopback address binds the pod's address instead, so every pod
 *             can listen on 0.0.0.0:9092, and on 127.0.0.1:12181 (ZooKeeper's
 *             port for the pod's own probes) beside the other pods;
 *   connect() to the loopback address (127.0.0.1, ::1, ::ffff:127.0.0.1)
 *             reaches the pod's address instead: "localhost" is the pod itself.
 * IPv6 sockets get the IPv4-mapped form of the address (the JVM's sockets are
 * dual-stack). Every other address, and every process without the variable,
 * is left alone.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static struct in_addr pod_ip;
static int have_pod_ip;

__attribute__((constructor)) static void init(void) {
    real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
    real_connect = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
    const char *ip = getenv("KAFKAC_E2E_POD_IP");
    have_pod_ip = ip != NULL && inet_pton(AF_INET, ip, &pod_ip) == 1;
}

static int is_mapped_v4(const struct in6_addr *a, uint32_t v4) {
    static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    uint32_t tail;
    memcpy(&tail, a->s6_addr + 12, 4);
    return memcmp(a->s6_addr, prefix, 12) == 0 && tail == v4;
}

static void set_mapped_pod_ip(struct in6_addr *a) {
    memset(a->s6_addr, 0, 10);
    a->s6_addr[10] = 0xff;
    a->s6_addr[11] = 0xff;
    memcpy(a->s6_addr + 12, &pod_ip.s_addr, 4);
}

/* Copies addr into buf with the pod's address where `wanted` says so; returns
 * the address to use (buf or addr itself). */
static const struct sockaddr *rewrite(const struct sockaddr *addr, socklen_t len,
                                      struct sockaddr_storage *buf, int for_bind) {
    if (!have_pod_ip || addr == NULL) return addr;
    if (addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        uint32_t address = in->sin_addr.s_addr;
        int match = address == htonl(INADDR_LOOPBACK) || (for_bind && address == htonl(INADDR_ANY));
        if (!match) return addr;
        memcpy(buf, addr, sizeof(struct sockaddr_in));
        ((struct sockaddr_in *)buf)->sin_addr = pod_ip;
        return (const struct sockaddr *)buf;
    }
    if (addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        int match = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) || is_mapped_v4(&in6->sin6_addr, htonl(INADDR_LOOPBACK))
            || (for_bind && (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr)
                             || is_mapped_v4(&in6->sin6_addr, htonl(INADDR_ANY))));
        if (!match) return addr;
        memcpy(buf, addr, sizeof(struct sockaddr_in6));
        set_mapped_pod_ip(&((struct sockaddr_in6 *)buf)->sin6_addr);
        return (const struct sockaddr *)buf;
    }
    return addr;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
    struct sockaddr_storage buf;
    return real_bind(fd, rewrite(addr, len, &buf, 1), len);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    struct sockaddr_storage buf;
    return real_connect(fd, rewrite(addr, len, &buf, 0), len);
}
