/* Throwaway N-API addon for the binding bench (bindings.mjs): the same resize + write of one open
 * dataset as the koffi path, done in one JS->C call; plus an empty call for the call overhead. */
#include <node_api.h>
#include <hdf5.h>

static hid_t file = -1, dset = -1, mspace = -1;

static napi_value open_(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; char path[4096]; size_t len;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len);
  hsize_t zero = 0, unl = H5S_UNLIMITED, one = 1, chunk = 1024;
  file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t space = H5Screate_simple(1, &zero, &unl);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 1, &chunk);
  dset = H5Dcreate2(file, "x", H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl); H5Sclose(space);
  mspace = H5Screate_simple(1, &one, NULL);
  return NULL;
}

static napi_value append(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2]; int64_t n; double v;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_value_int64(env, argv[0], &n);
  napi_get_value_double(env, argv[1], &v);
  hsize_t size = (hsize_t)n + 1, start = (hsize_t)n, count = 1;
  H5Dset_extent(dset, &size);
  hid_t fs = H5Dget_space(dset);
  H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL);
  H5Dwrite(dset, H5T_NATIVE_DOUBLE, mspace, fs, H5P_DEFAULT, &v);
  H5Sclose(fs);
  return NULL;
}

static napi_value c_loop(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2]; int64_t from, n;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_value_int64(env, argv[0], &from);
  napi_get_value_int64(env, argv[1], &n);
  for (int64_t i = from; i < from + n; i++) {
    hsize_t size = (hsize_t)i + 1, start = (hsize_t)i, count = 1; double v = (double)i;
    H5Dset_extent(dset, &size);
    hid_t fs = H5Dget_space(dset);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL);
    H5Dwrite(dset, H5T_NATIVE_DOUBLE, mspace, fs, H5P_DEFAULT, &v);
    H5Sclose(fs);
  }
  return NULL;
}

static napi_value noop(napi_env env, napi_callback_info info) { return NULL; }

static napi_value close_(napi_env env, napi_callback_info info) {
  H5Sclose(mspace); H5Dclose(dset); H5Fclose(file);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor p[] = {
    { "open", NULL, open_, NULL, NULL, NULL, napi_default, NULL },
    { "append", NULL, append, NULL, NULL, NULL, napi_default, NULL },
    { "cLoop", NULL, c_loop, NULL, NULL, NULL, napi_default, NULL },
    { "noop", NULL, noop, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, close_, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof p / sizeof p[0], p);
  return exports;
}
