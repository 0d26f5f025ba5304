// setQuickAck(fd): put a TCP socket into quick-ACK mode (Linux TCP_QUICKACK).
// The kernel drops the mode again on its own, so the vpcd rig calls this after every read:
// Debian's vpcd 0.8 sends a frame's length and body in two writes, and without an
// immediate ACK of the first, Nagle holds the second for the delayed-ACK timer (~40 ms).
#include <node_api.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <errno.h>
#include <string.h>

static napi_value SetQuickAck(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "setQuickAck(fd): fd must be a non-negative integer");
    return NULL;
  }
  int on = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on) != 0) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  napi_value result;
  napi_get_boolean(env, 1, &result);
  return result;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "setQuickAck", NAPI_AUTO_LENGTH, SetQuickAck, NULL, &fn);
  napi_set_named_property(env, exports, "setQuickAck", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
