/* The few HDF5 calls the model reader needs, as functions Swift can import:
 * HDF5's own property-list and type identifiers are macros that read globals. */
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

/* Object kinds for sepconv_h5_kind. */
enum { SEPCONV_H5_MISSING = 0, SEPCONV_H5_GROUP = 1, SEPCONV_H5_DATASET = 2, SEPCONV_H5_OTHER = 3 };

/* Opens a read-only HDF5 file image held in memory (the core driver copies it;
 * nothing touches the file system). `name` must differ from every image still
 * open: the library shares open files by name. Returns a file identifier, or < 0. */
static inline hid_t sepconv_h5_open_image(const void *bytes, size_t count, const char *name) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return -1;
    hid_t file = -1;
    if (H5Pset_fapl_core(fapl, (size_t)1 << 16, 0) >= 0 && H5Pset_file_image(fapl, (void *)bytes, count) >= 0)
        file = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    return file;
}

static inline void sepconv_h5_close(hid_t file) { H5Fclose(file); }

/* What `path` (absolute, '/'-separated) names: a group, a dataset, something else, or nothing.
 * Each component is checked in turn, as H5Lexists requires. */
static inline int sepconv_h5_kind(hid_t file, const char *path) {
    size_t length = strlen(path);
    char *prefix = malloc(length + 1);
    if (!prefix) return SEPCONV_H5_MISSING;
    for (size_t i = 1; i <= length; i++) {
        if (i == length || path[i] == '/') {
            memcpy(prefix, path, i);
            prefix[i] = 0;
            if (H5Lexists(file, prefix, H5P_DEFAULT) <= 0) { free(prefix); return SEPCONV_H5_MISSING; }
        }
    }
    free(prefix);
    hid_t object = H5Oopen(file, path, H5P_DEFAULT);
    if (object < 0) return SEPCONV_H5_MISSING;
    H5I_type_t type = H5Iget_type(object);
    H5Oclose(object);
    return type == H5I_GROUP ? SEPCONV_H5_GROUP : type == H5I_DATASET ? SEPCONV_H5_DATASET : SEPCONV_H5_OTHER;
}

/* Reads string attribute `name` of the object at `path` (fixed-length or variable-length
 * strings, a scalar or a list; an empty non-string list reads as no items). On success
 * *out holds the items, each ending in NUL, *bytes their total length, and the item count
 * is returned; -1 when the attribute is missing or not strings, -2 when over `limit` bytes.
 * Free *out with free(). */
static inline long sepconv_h5_string_attribute(hid_t file, const char *path, const char *name,
                                               size_t limit, char **out, size_t *bytes) {
    *out = NULL;
    *bytes = 0;
    if (H5Aexists_by_name(file, path, name, H5P_DEFAULT) <= 0) return -1;
    hid_t attribute = H5Aopen_by_name(file, path, name, H5P_DEFAULT, H5P_DEFAULT);
    if (attribute < 0) return -1;
    long result = -1;
    hid_t type = H5Aget_type(attribute), space = H5Aget_space(attribute), memory = -1;
    hssize_t points = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (type < 0 || points < 0) goto done;
    if (H5Tget_class(type) != H5T_STRING) {
        if (points == 0) { *out = malloc(1); result = *out ? 0 : -1; }
        goto done;
    }
    memory = H5Tcopy(H5T_C_S1);
    if (memory < 0) goto done;
    if (H5Tis_variable_str(type) > 0) {
        if (H5Tset_size(memory, H5T_VARIABLE) < 0 || (size_t)points > limit) goto done;
        char **items = calloc((size_t)points + 1, sizeof(char *));
        if (!items) goto done;
        if (H5Aread(attribute, memory, items) >= 0) {
            size_t total = 0;
            for (hssize_t i = 0; i < points; i++) total += (items[i] ? strlen(items[i]) : 0) + 1;
            if (total > limit) {
                result = -2;
            } else if ((*out = malloc(total + 1))) {
                size_t at = 0;
                for (hssize_t i = 0; i < points; i++) {
                    size_t n = items[i] ? strlen(items[i]) : 0;
                    if (n) memcpy(*out + at, items[i], n);
                    (*out)[at + n] = 0;
                    at += n + 1;
                }
                *bytes = total;
                result = (long)points;
            }
            H5Dvlen_reclaim(memory, space, H5P_DEFAULT, items);
        }
        free(items);
    } else {
        size_t size = H5Tget_size(type);
        if (size == 0 || (size_t)points > limit / size) { result = -2; goto done; }
        if (H5Tset_size(memory, size) < 0) goto done;
        char *raw = malloc((size_t)points * size + 1);
        if (!raw) goto done;
        if (H5Aread(attribute, memory, raw) >= 0 && (*out = malloc((size_t)points * (size + 1) + 1))) {
            size_t at = 0;
            for (hssize_t i = 0; i < points; i++) {
                const char *item = raw + (size_t)i * size;
                size_t n = strnlen(item, size);
                memcpy(*out + at, item, n);
                (*out)[at + n] = 0;
                at += n + 1;
            }
            *bytes = at;
            result = (long)points;
        }
        free(raw);
    }
done:
    if (memory >= 0) H5Tclose(memory);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    H5Aclose(attribute);
    return result;
}

/* The shape of the dataset at `path`: its rank (at most `capacity` dimensions written to
 * `dims`), or -1 when it cannot be read, -2 when its values are not floating point of at
 * most 16 bytes, -3 when its rank exceeds `capacity`, -4 when it is not stored as h5py
 * stores Keras weights (contiguous or compact: no chunks, no filters). */
static inline int sepconv_h5_dataset_shape(hid_t file, const char *path, hsize_t *dims, int capacity) {
    hid_t dataset = H5Dopen2(file, path, H5P_DEFAULT);
    if (dataset < 0) return -1;
    int result = -1;
    hid_t type = H5Dget_type(dataset), space = H5Dget_space(dataset), create = H5Dget_create_plist(dataset);
    if (type >= 0 && space >= 0 && create >= 0) {
        H5D_layout_t layout = H5Pget_layout(create);
        if (H5Tget_class(type) != H5T_FLOAT || H5Tget_size(type) > 16) {
            result = -2;
        } else if (layout != H5D_CONTIGUOUS && layout != H5D_COMPACT) {
            result = -4;
        } else {
            int rank = H5Sget_simple_extent_ndims(space);
            if (rank > capacity) result = -3;
            else if (rank >= 0 && H5Sget_simple_extent_dims(space, dims, NULL) >= 0) result = rank;
        }
    }
    if (create >= 0) H5Pclose(create);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    H5Dclose(dataset);
    return result;
}

/* Reads every value of the floating-point dataset at `path` as doubles into `values`
 * (room for exactly its element count, checked by the caller). Returns 0, or -1. */
static inline int sepconv_h5_read_doubles(hid_t file, const char *path, double *values) {
    hid_t dataset = H5Dopen2(file, path, H5P_DEFAULT);
    if (dataset < 0) return -1;
    herr_t status = H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    H5Dclose(dataset);
    return status < 0 ? -1 : 0;
}

/* The number of links in the group at `path`, or -1. */
static inline long sepconv_h5_child_count(hid_t file, const char *path) {
    H5G_info_t info;
    if (H5Gget_info_by_name(file, path, &info, H5P_DEFAULT) < 0) return -1;
    return (long)info.nlinks;
}

/* The name of link `index` (in name order) of the group at `path` into `buffer`
 * (`capacity` bytes); returns the name's length, or -1. */
static inline long sepconv_h5_child_name(hid_t file, const char *path, size_t index, char *buffer, size_t capacity) {
    ssize_t n = H5Lget_name_by_idx(file, path, H5_INDEX_NAME, H5_ITER_INC, (hsize_t)index, buffer, capacity, H5P_DEFAULT);
    return n < 0 ? -1 : (long)n;
}
