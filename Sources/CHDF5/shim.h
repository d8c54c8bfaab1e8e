#ifndef CHDF5_SHIM_H
#define CHDF5_SHIM_H

#include <hdf5.h>
#include <string.h>

/* Swift cannot import HDF5's function-like / cast macros; these wrappers expose them.
   Each macro expands through H5OPEN, so the library is initialised on first use. */

static inline unsigned chdf5_acc_trunc(void)  { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_acc_rdwr(void)   { return H5F_ACC_RDWR; }

static inline hid_t chdf5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_s_all(void)     { return H5S_ALL; }
static inline hid_t chdf5_e_default(void) { return H5E_DEFAULT; }

static inline hid_t chdf5_native_float(void)  { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_native_int8(void)   { return H5T_NATIVE_INT8; }
static inline hid_t chdf5_native_uint8(void)  { return H5T_NATIVE_UINT8; }
static inline hid_t chdf5_native_int32(void)  { return H5T_NATIVE_INT32; }
static inline hid_t chdf5_native_int64(void)  { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t chdf5_c_s1(void)          { return H5T_C_S1; }

static inline hid_t chdf5_p_file_create(void)    { return H5P_FILE_CREATE; }
static inline hid_t chdf5_p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t chdf5_p_group_create(void)   { return H5P_GROUP_CREATE; }
static inline hid_t chdf5_p_link_create(void)    { return H5P_LINK_CREATE; }

static inline hsize_t chdf5_s_unlimited(void) { return H5S_UNLIMITED; }
static inline size_t  chdf5_t_variable(void)  { return H5T_VARIABLE; }

/* The innermost message of HDF5's current error stack (where a system error such as
   "errno = 28, error message = 'No space left on device'" is reported), into buf (size bytes). */
static herr_t chdf5_innermost_cb(unsigned n, const H5E_error2_t *e, void *data) {
    (void)n;
    char **slot = (char **)data;
    if (e && e->desc) {
        size_t size = (size_t)slot[1];
        strncpy(slot[0], e->desc, size - 1);
        slot[0][size - 1] = 0;
    }
    return 0;
}
static inline void chdf5_innermost_error(char *buf, size_t size) {
    if (size == 0) return;
    buf[0] = 0;
    char *slot[2] = { buf, (char *)size };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, chdf5_innermost_cb, slot);
}

/* Initialise the library and turn off automatic error-stack printing (errors become Swift throws). */
static inline herr_t chdf5_init(void) {
    herr_t status = H5open();
    if (status < 0) return status;
    return H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

#endif
