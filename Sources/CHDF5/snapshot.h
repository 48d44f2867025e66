/* The HDF5 side of reading a model file, run in a child process of the tool.
 *
 * libhdf5 1.10 crashes and hangs on crafted files, so no HDF5 call runs in the
 * tool's own process: sepconv_h5_snapshot forks a child that opens the file image
 * (already in memory: the child inherits it), walks every link once and writes a
 * plain record stream to a pipe. The child runs only C (libhdf5 and libc), so a
 * lock held by another thread of the parent (the Swift runtime's) cannot deadlock
 * it; it has a memory limit, a CPU limit, no core dumps and, on Linux, a seccomp
 * filter that fails every system call a file-image walk does not need (open,
 * openat, stat, connect, ...), so not even a libhdf5 bug can read another file.
 * The parent reads at most `output_limit` bytes before a wall-clock deadline and
 * kills the child on either, so a hang, a crash or a memory blow-up is a result code.
 *
 * Records (integers little-endian as the host writes them; both ends are the same binary):
 *   'G' path                         a group
 *   'D' path status rank dims[rank] width values   a dataset: status 0 and `width` (4 or 8)
 *                                    byte floats when read, else a code below and no values
 *   'O' path                         any other object (a named datatype)
 *   'H' path addr                    a hard link to the object at file address `addr`
 *                                    (every object record follows its 'H' record)
 *   'S' path target                  a soft link
 *   'A' path name status count bytes data   a string attribute named in `attributes`
 *   'X' code path                    the file is refused (an external link, external storage, ...)
 * where a path or string is a u32 length and its bytes; status, rank, count, code are i32,
 * dims and addr u64, bytes u32. */
#include <hdf5.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

/* Dataset statuses ('D'). */
enum { SEPCONV_SNAP_READ = 0, SEPCONV_SNAP_NOT_FLOAT = -2, SEPCONV_SNAP_RANK = -3, SEPCONV_SNAP_CHUNKED = -4,
       SEPCONV_SNAP_TOO_MANY = -5, SEPCONV_SNAP_UNREADABLE = -1 };
/* Attribute statuses ('A'): read, over the byte limit, too many variable-length items, unreadable. */
enum { SEPCONV_SNAP_ATTR_TOO_LARGE = -2, SEPCONV_SNAP_ATTR_TOO_MANY = -3, SEPCONV_SNAP_ATTR_UNREADABLE = -1 };
/* Refusals ('X'). */
enum { SEPCONV_SNAP_EXTERNAL_LINK = 1, SEPCONV_SNAP_USER_LINK = 2, SEPCONV_SNAP_EXTERNAL_STORAGE = 3,
       SEPCONV_SNAP_VIRTUAL = 4, SEPCONV_SNAP_OBJECTS = 5, SEPCONV_SNAP_UNOPENABLE = 6 };
/* Results of sepconv_h5_snapshot. */
enum { SEPCONV_SNAP_OK = 0, SEPCONV_SNAP_SPAWN = -1, SEPCONV_SNAP_TIMEOUT = -2, SEPCONV_SNAP_OUTPUT = -3,
       SEPCONV_SNAP_SIGNAL = -4, SEPCONV_SNAP_EXIT = -5 };

/* Most links walked, most variable-length strings in one attribute. */
#define SEPCONV_SNAP_MAX_LINKS 200000
#define SEPCONV_SNAP_MAX_VLEN_ITEMS 4096

typedef struct {
    int fd;
    unsigned char buffer[1 << 16];
    size_t used;
    int failed;
    long links;
    const char *const *attributes;
    int attribute_count;
    size_t attribute_limit;
    size_t max_values;
} sepconv_snap_out;

static inline void sepconv_snap_flush(sepconv_snap_out *out) {
    size_t at = 0;
    while (!out->failed && at < out->used) {
        ssize_t n = write(out->fd, out->buffer + at, out->used - at);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) out->failed = 1;
        else at += (size_t)n;
    }
    out->used = 0;
}

static inline void sepconv_snap_put(sepconv_snap_out *out, const void *bytes, size_t count) {
    const unsigned char *from = bytes;
    while (count > 0 && !out->failed) {
        size_t room = sizeof out->buffer - out->used;
        size_t n = count < room ? count : room;
        memcpy(out->buffer + out->used, from, n);
        out->used += n;
        from += n;
        count -= n;
        if (out->used == sizeof out->buffer) sepconv_snap_flush(out);
    }
}

static inline void sepconv_snap_i32(sepconv_snap_out *out, int32_t value) { sepconv_snap_put(out, &value, 4); }
static inline void sepconv_snap_u64(sepconv_snap_out *out, uint64_t value) { sepconv_snap_put(out, &value, 8); }
static inline void sepconv_snap_text(sepconv_snap_out *out, const char *text, size_t count) {
    uint32_t length = (uint32_t)count;
    sepconv_snap_put(out, &length, 4);
    sepconv_snap_put(out, text, count);
}
static inline void sepconv_snap_tag(sepconv_snap_out *out, char tag, const char *path) {
    sepconv_snap_put(out, &tag, 1);
    sepconv_snap_text(out, path, strlen(path));
}

/* Writes the string attribute `name` of `object` (at `path`), if it has one. The item count of a
 * variable-length list is bounded before it is read; the bytes of what is read are bounded after
 * (one heap object is at most the file, and the child's memory limit bounds the sum). */
static inline void sepconv_snap_attribute(sepconv_snap_out *out, hid_t object, const char *path, const char *name) {
    if (H5Aexists(object, name) <= 0) return;
    int32_t status = SEPCONV_SNAP_ATTR_UNREADABLE, count = 0;
    char *data = NULL;
    size_t bytes = 0;
    int skip = 0;
    hid_t attribute = H5Aopen(object, name, H5P_DEFAULT);
    hid_t type = attribute >= 0 ? H5Aget_type(attribute) : -1;
    hid_t space = attribute >= 0 ? H5Aget_space(attribute) : -1;
    hid_t memory = -1;
    hssize_t points = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (type < 0 || points < 0) goto done;
    if (H5Tget_class(type) != H5T_STRING) {
        /* An empty list of another type (h5py's empty weight_names) reads as no strings;
         * anything else is not a string attribute, written as none at all. */
        if (points == 0) status = 0;
        else skip = 1;
        goto done;
    }
    /* The memory type takes the file's character set: libhdf5 converts no string between sets. */
    if ((memory = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_cset(memory, H5Tget_cset(type)) < 0) goto done;
    if (H5Tis_variable_str(type) > 0) {
        if (points > SEPCONV_SNAP_MAX_VLEN_ITEMS) { status = SEPCONV_SNAP_ATTR_TOO_MANY; count = (int32_t)(points > INT32_MAX ? INT32_MAX : points); goto done; }
        if (H5Tset_size(memory, H5T_VARIABLE) < 0) goto done;
        char **items = calloc((size_t)points + 1, sizeof(char *));
        if (!items) goto done;
        if (H5Aread(attribute, memory, items) >= 0) {
            size_t total = 0;
            for (hssize_t i = 0; i < points; i++) total += (items[i] ? strlen(items[i]) : 0) + 1;
            if (total > out->attribute_limit) {
                status = SEPCONV_SNAP_ATTR_TOO_LARGE;
            } else if ((data = malloc(total + 1))) {
                for (hssize_t i = 0; i < points; i++) {
                    size_t n = items[i] ? strlen(items[i]) : 0;
                    if (n) memcpy(data + bytes, items[i], n);
                    data[bytes + n] = 0;
                    bytes += n + 1;
                }
                status = 0;
                count = (int32_t)points;
            }
            H5Dvlen_reclaim(memory, space, H5P_DEFAULT, items);
        }
        free(items);
    } else {
        size_t size = H5Tget_size(type);
        if (size == 0 || (size_t)points > out->attribute_limit / size) { status = SEPCONV_SNAP_ATTR_TOO_LARGE; goto done; }
        if (H5Tset_size(memory, size) < 0) goto done;
        char *raw = malloc((size_t)points * size + 1);
        if (!raw) goto done;
        if (H5Aread(attribute, memory, raw) >= 0 && (data = malloc((size_t)points * (size + 1) + 1))) {
            for (hssize_t i = 0; i < points; i++) {
                const char *item = raw + (size_t)i * size;
                size_t n = strnlen(item, size);
                memcpy(data + bytes, item, n);
                data[bytes + n] = 0;
                bytes += n + 1;
            }
            status = 0;
            count = (int32_t)points;
        }
        free(raw);
    }
done:
    if (!skip) {
        sepconv_snap_tag(out, 'A', path);
        sepconv_snap_text(out, name, strlen(name));
        sepconv_snap_i32(out, status);
        sepconv_snap_i32(out, count);
        sepconv_snap_text(out, data ? data : "", data ? bytes : 0);
    }
    free(data);
    if (memory >= 0) H5Tclose(memory);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (attribute >= 0) H5Aclose(attribute);
}

static inline void sepconv_snap_refuse(sepconv_snap_out *out, int32_t code, const char *path) {
    char tag = 'X';
    sepconv_snap_put(out, &tag, 1);
    sepconv_snap_i32(out, code);
    sepconv_snap_text(out, path, strlen(path));
}

/* The dataset `dataset` at `path`: refused (return -1) when its values live outside the file
 * (external raw storage) or are assembled from other datasets (virtual); else written, its values
 * read only when they are floats stored as h5py stores Keras weights and within the value limit. */
static inline int sepconv_snap_dataset(sepconv_snap_out *out, hid_t dataset, const char *path) {
    hid_t type = H5Dget_type(dataset), space = H5Dget_space(dataset), create = H5Dget_create_plist(dataset);
    int32_t status = SEPCONV_SNAP_UNREADABLE;
    int rank = 0;
    hsize_t dims[8] = {0};
    int refused = 0;
    if (type >= 0 && space >= 0 && create >= 0) {
        H5D_layout_t layout = H5Pget_layout(create);
        int externals = H5Pget_external_count(create);
        rank = H5Sget_simple_extent_ndims(space);
        if (layout == H5D_VIRTUAL) {
            sepconv_snap_refuse(out, SEPCONV_SNAP_VIRTUAL, path);
            refused = 1;
        } else if (externals != 0) {
            sepconv_snap_refuse(out, SEPCONV_SNAP_EXTERNAL_STORAGE, path);
            refused = 1;
        } else if (H5Tget_class(type) != H5T_FLOAT || H5Tget_size(type) > 16) {
            status = SEPCONV_SNAP_NOT_FLOAT;
        } else if (layout != H5D_CONTIGUOUS && layout != H5D_COMPACT) {
            status = SEPCONV_SNAP_CHUNKED;
        } else if (rank < 0 || rank > 8) {
            status = SEPCONV_SNAP_RANK;
        } else if (H5Sget_simple_extent_dims(space, dims, NULL) >= 0) {
            status = SEPCONV_SNAP_READ;
            size_t count = 1;
            for (int i = 0; i < rank; i++) {
                if (dims[i] > out->max_values || (count *= (size_t)dims[i]) > out->max_values) { status = SEPCONV_SNAP_TOO_MANY; break; }
            }
        }
    }
    if (!refused) {
        size_t count = 1, width = H5Tget_size(type) <= 4 ? 4 : 8;
        for (int i = 0; i < rank; i++) count *= (size_t)dims[i];
        void *values = NULL;
        if (status == SEPCONV_SNAP_READ) {
            values = malloc(count * width + 1);
            if (!values || H5Dread(dataset, width == 4 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0)
                status = SEPCONV_SNAP_UNREADABLE;
        }
        sepconv_snap_tag(out, 'D', path);
        sepconv_snap_i32(out, status);
        sepconv_snap_i32(out, status == SEPCONV_SNAP_READ ? rank : 0);
        if (status == SEPCONV_SNAP_READ) {
            for (int i = 0; i < rank; i++) sepconv_snap_u64(out, dims[i]);
            sepconv_snap_i32(out, (int32_t)width);
            sepconv_snap_put(out, values, count * width);
        }
        free(values);
    }
    if (create >= 0) H5Pclose(create);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    return refused ? -1 : 0;
}

/* The attributes asked for, of the object open as `object` at `path`. */
static inline void sepconv_snap_attributes(sepconv_snap_out *out, hid_t object, const char *path) {
    for (int i = 0; i < out->attribute_count; i++) sepconv_snap_attribute(out, object, path, out->attributes[i]);
}

/* H5Lvisit's callback: each link once (it descends each group once, whatever links to it). */
static inline herr_t sepconv_snap_link(hid_t root, const char *name, const H5L_info_t *info, void *context) {
    sepconv_snap_out *out = context;
    if (out->failed) return -1;
    if (++out->links > SEPCONV_SNAP_MAX_LINKS) { sepconv_snap_refuse(out, SEPCONV_SNAP_OBJECTS, name); return 1; }
    size_t length = strlen(name);
    char *path = malloc(length + 2);
    if (!path) return -1;
    path[0] = '/';
    memcpy(path + 1, name, length + 1);
    herr_t result = 0;
    if (info->type == H5L_TYPE_SOFT) {
        char *target = malloc(info->u.val_size + 1);
        if (target && H5Lget_val(root, name, target, info->u.val_size + 1, H5P_DEFAULT) >= 0) {
            target[info->u.val_size] = 0;
            sepconv_snap_tag(out, 'S', path);
            sepconv_snap_text(out, target, strnlen(target, info->u.val_size));
        }
        free(target);
    } else if (info->type == H5L_TYPE_EXTERNAL) {
        sepconv_snap_refuse(out, SEPCONV_SNAP_EXTERNAL_LINK, path);
        result = 1;
    } else if (info->type != H5L_TYPE_HARD) {
        sepconv_snap_refuse(out, SEPCONV_SNAP_USER_LINK, path);
        result = 1;
    } else {
        sepconv_snap_tag(out, 'H', path);
        sepconv_snap_u64(out, (uint64_t)info->u.address);
        hid_t object = H5Oopen(root, name, H5P_DEFAULT);
        if (object < 0) {
            sepconv_snap_refuse(out, SEPCONV_SNAP_UNOPENABLE, path);
            result = 1;
        } else {
            H5I_type_t type = H5Iget_type(object);
            if (type == H5I_DATASET) {
                if (sepconv_snap_dataset(out, object, path) < 0) result = 1;
            } else {
                sepconv_snap_tag(out, type == H5I_GROUP ? 'G' : 'O', path);
            }
            if (result == 0) sepconv_snap_attributes(out, object, path);
            H5Oclose(object);
        }
    }
    free(path);
    return result;
}

#ifdef __linux__
/* Fails with EACCES every system call but those a walk of a file image in memory makes:
 * memory, writing the pipe, futexes, signals' return and exit. */
static inline void sepconv_snap_seccomp(void) {
#define SEPCONV_ALLOW(name) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_##name, 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        SEPCONV_ALLOW(read), SEPCONV_ALLOW(write), SEPCONV_ALLOW(close), SEPCONV_ALLOW(brk), SEPCONV_ALLOW(mmap),
        SEPCONV_ALLOW(munmap), SEPCONV_ALLOW(mremap), SEPCONV_ALLOW(mprotect), SEPCONV_ALLOW(madvise),
        SEPCONV_ALLOW(futex), SEPCONV_ALLOW(rt_sigreturn), SEPCONV_ALLOW(rt_sigprocmask), SEPCONV_ALLOW(rt_sigaction),
        SEPCONV_ALLOW(exit), SEPCONV_ALLOW(exit_group), SEPCONV_ALLOW(getpid), SEPCONV_ALLOW(gettid),
        SEPCONV_ALLOW(tgkill), SEPCONV_ALLOW(clock_gettime), SEPCONV_ALLOW(sched_yield),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA)),
    };
#undef SEPCONV_ALLOW
    struct sock_fprog program = { (unsigned short)(sizeof filter / sizeof filter[0]), filter };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program);
}
#endif

/* The child: limits, then the walk of the image, written to `fd`. Never returns. */
static inline void sepconv_snap_child(int fd, const void *bytes, size_t count, size_t memory_limit, unsigned seconds,
                                      const char *const *attributes, int attribute_count, size_t attribute_limit,
                                      size_t max_values) {
    /* The parent's crash handlers (the Swift runtime's backtracer) would report the child's
     * crash as the tool's own; the child dies quietly and the parent says what happened. */
    int quiet[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGXCPU };
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) signal(quiet[i], SIG_DFL);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) { dup2(null, 2); close(null); }
    struct rlimit core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &core);
    struct rlimit cpu = { seconds, seconds + 1 };
    setrlimit(RLIMIT_CPU, &cpu);
    /* The limit is on address space added to what the child starts with (the parent's, which under
     * AddressSanitizer is terabytes of reserved shadow). */
    FILE *statm = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (statm) {
        if (fscanf(statm, "%lu", &pages) != 1) pages = 0;
        fclose(statm);
    }
    struct rlimit memory = { (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + memory_limit,
                             (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + memory_limit };
    /* Without /proc (macOS, which does not enforce RLIMIT_AS anyway) the starting size is unknown. */
    if (pages > 0) setrlimit(RLIMIT_AS, &memory);
#ifdef __linux__
    sepconv_snap_seccomp();
#endif
    static sepconv_snap_out out;
    out.fd = fd;
    out.attributes = attributes;
    out.attribute_count = attribute_count;
    out.attribute_limit = attribute_limit;
    out.max_values = max_values;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t file = -1;
    if (fapl >= 0 && H5Pset_fapl_core(fapl, (size_t)1 << 16, 0) >= 0 && H5Pset_file_image(fapl, (void *)bytes, count) >= 0)
        file = H5Fopen("sepconv-gen-image", H5F_ACC_RDONLY, fapl);
    if (file < 0) _exit(3);
    sepconv_snap_tag(&out, 'G', "/");
    hid_t root = H5Oopen(file, "/", H5P_DEFAULT);
    if (root >= 0) sepconv_snap_attributes(&out, root, "/");
    H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, sepconv_snap_link, &out);
    sepconv_snap_flush(&out);
    _exit(out.failed ? 4 : 0);
}

/* Walks the HDF5 file image `bytes` in a child process (see the top of this file). On
 * SEPCONV_SNAP_OK *out (free with free()) holds *out_count bytes of records; otherwise the
 * result says how the child failed, *detail the signal or exit status. */
static inline int sepconv_h5_snapshot(const void *bytes, size_t count, const char *const *attributes, int attribute_count,
                                      size_t attribute_limit, size_t max_values, size_t output_limit,
                                      size_t memory_limit, unsigned seconds,
                                      unsigned char **out, size_t *out_count, int *detail) {
    *out = NULL;
    *out_count = 0;
    *detail = 0;
    int pipes[2];
    /* Close-on-exec at once: a process another thread starts meanwhile must not hold the write
     * end, or the parent would wait for that process's end rather than the child's. */
#ifdef __linux__
    if (pipe2(pipes, O_CLOEXEC) != 0) return SEPCONV_SNAP_SPAWN;
#else
    if (pipe(pipes) != 0) return SEPCONV_SNAP_SPAWN;
    fcntl(pipes[0], F_SETFD, FD_CLOEXEC);
    fcntl(pipes[1], F_SETFD, FD_CLOEXEC);
#endif
    pid_t child = fork();
    if (child < 0) {
        close(pipes[0]);
        close(pipes[1]);
        return SEPCONV_SNAP_SPAWN;
    }
    if (child == 0) {
        close(pipes[0]);
        sepconv_snap_child(pipes[1], bytes, count, memory_limit, seconds, attributes, attribute_count,
                           attribute_limit, max_values);
    }
    close(pipes[1]);
    int result = SEPCONV_SNAP_OK;
    size_t capacity = 1 << 16, used = 0;
    unsigned char *data = malloc(capacity);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (data) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (long)(now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= (long)seconds * 1000) { result = SEPCONV_SNAP_TIMEOUT; break; }
        struct pollfd ready = { pipes[0], POLLIN, 0 };
        int polled = poll(&ready, 1, (int)((long)seconds * 1000 - elapsed));
        if (polled < 0 && errno == EINTR) continue;
        if (polled <= 0) { result = polled == 0 ? SEPCONV_SNAP_TIMEOUT : SEPCONV_SNAP_SPAWN; break; }
        if (used == capacity) {
            size_t grown = capacity * 2 > output_limit + 1 ? output_limit + 1 : capacity * 2;
            unsigned char *larger = grown > capacity ? realloc(data, grown) : NULL;
            if (!larger) { result = SEPCONV_SNAP_OUTPUT; break; }
            data = larger;
            capacity = grown;
        }
        ssize_t n = read(pipes[0], data + used, capacity - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { result = SEPCONV_SNAP_SPAWN; break; }
        if (n == 0) break;
        used += (size_t)n;
        if (used > output_limit) { result = SEPCONV_SNAP_OUTPUT; break; }
    }
    if (!data) result = SEPCONV_SNAP_SPAWN;
    close(pipes[0]);
    if (result != SEPCONV_SNAP_OK) kill(child, SIGKILL);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    if (result == SEPCONV_SNAP_OK) {
        if (WIFSIGNALED(status)) {
            result = SEPCONV_SNAP_SIGNAL;
            *detail = WTERMSIG(status);
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            result = SEPCONV_SNAP_EXIT;
            *detail = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
    }
    if (result != SEPCONV_SNAP_OK) {
        free(data);
        return result;
    }
    *out = data;
    *out_count = used;
    return SEPCONV_SNAP_OK;
}
