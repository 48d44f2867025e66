/*
 * What Embedded Swift's runtime needs from the C library and newlib does not
 * have: posix_memalign (class instances and array buffers are allocated with
 * it), here on top of newlib's memalign. Link it beside the Swift objects.
 */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>

int posix_memalign(void **memory, size_t alignment, size_t size);

int posix_memalign(void **memory, size_t alignment, size_t size)
{
    void *block = memalign(alignment < sizeof(void *) ? sizeof(void *) : alignment, size ? size : 1);
    if (!block) {
        return ENOMEM;
    }
    *memory = block;
    return 0;
}
