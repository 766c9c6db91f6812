#include "conv_plan.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

enum { N, CI, H, W, CO, KH, KW, SH, SW, PH, PW, DH, DW, G };

int mien_conv_plan_make(const int64_t p[14], mien_conv_plan *plan, char *err, size_t errlen) {
  for (int i = 0; i < 14; i++)
    if (p[i] < 0 || p[i] > INT_MAX) {
      snprintf(err, errlen, "conv2d: parameter %d (%lld) does not fit cuDNN's int", i, (long long)p[i]);
      return -1;
    }
  if (p[G] < 1 || p[CI] % p[G] || p[CO] % p[G] || p[SH] < 1 || p[SW] < 1 || p[DH] < 1 || p[DW] < 1) {
    snprintf(err, errlen, "conv2d: bad groups %lld for %lld -> %lld channels, or a stride/dilation below 1",
             (long long)p[G], (long long)p[CI], (long long)p[CO]);
    return -1;
  }
  const int64_t oh = (p[H] + 2 * p[PH] - p[DH] * (p[KH] - 1) - 1) / p[SH] + 1;
  const int64_t ow = (p[W] + 2 * p[PW] - p[DW] * (p[KW] - 1) - 1) / p[SW] + 1;
  if (oh <= 0 || ow <= 0 || p[H] + 2 * p[PH] < p[DH] * (p[KH] - 1) + 1 || p[W] + 2 * p[PW] < p[DW] * (p[KW] - 1) + 1) {
    snprintf(err, errlen, "conv2d: the output would be empty (input %lldx%lld, kernel %lldx%lld)", (long long)p[H],
             (long long)p[W], (long long)p[KH], (long long)p[KW]);
    return -1;
  }
  const int x[4] = {(int)p[N], (int)p[CI], (int)p[H], (int)p[W]};
  const int w[4] = {(int)p[CO], (int)(p[CI] / p[G]), (int)p[KH], (int)p[KW]};
  const int y[4] = {(int)p[N], (int)p[CO], (int)oh, (int)ow};
  memcpy(plan->x, x, sizeof x);
  memcpy(plan->w, w, sizeof w);
  memcpy(plan->y, y, sizeof y);
  plan->pad[0] = (int)p[PH], plan->pad[1] = (int)p[PW];
  plan->stride[0] = (int)p[SH], plan->stride[1] = (int)p[SW];
  plan->dilation[0] = (int)p[DH], plan->dilation[1] = (int)p[DW];
  plan->groups = (int)p[G];
  return 0;
}

int mien_conv_falls_back(int cudnn_status) { return cudnn_status >= 3000 && cudnn_status < 4000; }

void mien_conv_cache_key(const int64_t p[14], int dtype, int pass, int64_t key[16]) {
  memcpy(key, p, 14 * sizeof *key);
  key[14] = dtype;
  key[15] = pass;
}

const mien_conv_cache_entry *mien_conv_cache_find(const mien_conv_cache *c, const int64_t key[16]) {
  for (int i = 0; i < c->count; i++)
    if (memcmp(c->e[i].key, key, sizeof c->e[i].key) == 0) return &c->e[i];
  return NULL;
}

void mien_conv_cache_put(mien_conv_cache *c, const int64_t key[16], int algo, size_t workspace) {
  mien_conv_cache_entry *e = c->count < MIEN_CONV_CACHE_SIZE ? &c->e[c->count++] : &c->e[c->next++ % MIEN_CONV_CACHE_SIZE];
  memcpy(e->key, key, sizeof e->key);
  e->algo = algo;
  e->workspace = workspace;
}
