/* Autograd in C: a small graph's backward values, accumulation, retain_graph,
 * shared intermediates, graphs that fan in and go deep, and the release of
 * the graph (live tensors back to 0). */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "check.h"
#include "error.h"
#include "nn.h"
#include "storage.h"
#include "tensor.h"

static mien_tensor *vec(int n, const double *v, mien_dtype dt, bool requires_grad) {
  int64_t shape[1] = {n};
  mien_tensor *t = mien_zeros(1, shape, dt, MIEN_HOST);
  for (int64_t i = 0; i < n; i++) mien_set(t, &i, v[i]);
  t->requires_grad = requires_grad;
  return t;
}

static double el(const mien_tensor *t, int64_t i) { return mien_get(t, &i); }

static bool near(double a, double b) { return fabs(a - b) <= 1e-12 * (1 + fabs(b)); }

static mien_tensor *sum_all(mien_tensor *t) { return mien_reduce(MIEN_SUM, t, 0, NULL, false); }

/* y = sum(a * b + exp(a)): dy/da = b + exp(a), dy/db = a */
static void test_small_graph(void) {
  const double av[3] = {0.5, -1, 2}, bv[3] = {3, 4, -5};
  mien_tensor *a = vec(3, av, MIEN_FLOAT64, true), *b = vec(3, bv, MIEN_FLOAT64, true);
  mien_tensor *ab = mien_binary(MIEN_MUL, a, b);
  mien_tensor *ea = mien_unary(MIEN_EXP, a);
  mien_tensor *s = mien_binary(MIEN_ADD, ab, ea);
  mien_tensor *y = sum_all(s);
  EXPECT(y->grad_fn && strcmp(y->grad_fn->name, "sum") == 0 && y->requires_grad, "the result records its op");
  EXPECT(a->grad_fn == NULL && s->grad_fn != NULL, "leaves have no grad_fn");
  double v;
  mien_item(y, &v);
  EXPECT(near(v, 0.5 * 3 - 4 - 10 + exp(0.5) + exp(-1) + exp(2)), "forward value %g", v);
  EXPECT(mien_backward(y, NULL, false) == 0, "backward: %s", mien_last_error());
  for (int i = 0; i < 3; i++) {
    EXPECT(near(el(a->grad, i), bv[i] + exp(av[i])), "da[%d] = %g", i, el(a->grad, i));
    EXPECT(near(el(b->grad, i), av[i]), "db[%d] = %g", i, el(b->grad, i));
  }
  EXPECT(ab->grad == NULL, "non-leaves keep no grad");
  /* the graph was freed: a second backward fails and says how to keep it */
  EXPECT(mien_backward(y, NULL, false) == -1, "second backward fails");
  EXPECT(strstr(mien_last_error(), "retain_graph") != NULL, "error mentions retain_graph: %s", mien_last_error());
  mien_release(a);
  mien_release(b);
  mien_release(ab);
  mien_release(ea);
  mien_release(s);
  mien_release(y);
}

static void test_accumulation_and_retain(void) {
  const double xv[2] = {1, 2};
  mien_tensor *x = vec(2, xv, MIEN_FLOAT64, true);
  mien_tensor *sq = mien_binary(MIEN_MUL, x, x);
  mien_tensor *y = sum_all(sq);
  EXPECT(mien_backward(y, NULL, true) == 0, "first backward with retain_graph");
  EXPECT(mien_backward(y, NULL, true) == 0, "second backward with retain_graph");
  EXPECT(mien_backward(y, NULL, false) == 0, "third backward");
  EXPECT(near(el(x->grad, 0), 6) && near(el(x->grad, 1), 12), "three backwards accumulate: %g %g", el(x->grad, 0),
         el(x->grad, 1));
  /* a given gradient, which must be left as it was */
  mien_tensor *x2 = mien_binary_scalar(MIEN_MUL, x, 2, false);
  mien_tensor *d = mien_binary(MIEN_ADD, x2, x2);
  const double gv[2] = {1, 10};
  mien_tensor *g = vec(2, gv, MIEN_FLOAT64, false);
  mien_release(x->grad);
  x->grad = NULL;
  EXPECT(mien_backward(d, g, false) == 0, "backward with a gradient");
  EXPECT(near(el(x->grad, 0), 4) && near(el(x->grad, 1), 40), "d(4x) with g: %g %g", el(x->grad, 0), el(x->grad, 1));
  EXPECT(el(g, 0) == 1 && el(g, 1) == 10, "the given gradient is unchanged: %g %g", el(g, 0), el(g, 1));
  mien_release(x);
  mien_release(sq);
  mien_release(y);
  mien_release(x2);
  mien_release(d);
  mien_release(g);
}

/* d = (2x + 3x) + 2x: the gradient handed to both sides of an add is one
 * tensor, which must not be summed into in place */
static void test_shared_gradients(void) {
  const double xv[2] = {1, 2};
  mien_tensor *x = vec(2, xv, MIEN_FLOAT64, true);
  mien_tensor *a = mien_binary_scalar(MIEN_MUL, x, 2, false), *b = mien_binary_scalar(MIEN_MUL, x, 3, false);
  mien_tensor *c = mien_binary(MIEN_ADD, a, b), *d = mien_binary(MIEN_ADD, c, a);
  mien_tensor *y = sum_all(d);
  EXPECT(mien_backward(y, NULL, false) == 0, "backward");
  EXPECT(near(el(x->grad, 0), 7) && near(el(x->grad, 1), 7), "d(7x)/dx = 7, got %g %g", el(x->grad, 0),
         el(x->grad, 1));
  mien_tensor *ts[] = {x, a, b, c, d, y};
  for (int k = 0; k < 6; k++) mien_release(ts[k]);
}

/* every level uses the previous one four times */
static void test_wide_fan_in(void) {
  const double xv[2] = {1, 2};
  mien_tensor *x = vec(2, xv, MIEN_FLOAT64, true);
  mien_tensor *h = mien_binary_scalar(MIEN_MUL, x, 1, false);
  for (int level = 0; level < 100; level++) {
    mien_tensor *parts[4] = {h, h, h, h};
    mien_tensor *c = mien_cat(4, parts, 0);
    mien_tensor *n = mien_narrow(c, 0, 2, 2);
    mien_release(c);
    mien_release(h);
    h = n;
  }
  mien_tensor *y = sum_all(h);
  EXPECT(mien_backward(y, NULL, false) == 0, "backward through 100 levels: %s", mien_last_error());
  EXPECT(x->grad && near(el(x->grad, 0), 1) && near(el(x->grad, 1), 1), "fan-in gradient");
  mien_release(h);
  mien_release(y);
  mien_release(x);
}

/* mixed dtypes: each input's gradient has its own dtype, and a float32
 * relu fed into a float64 product reads its saved output as float32 */
static void test_mixed_dtypes(void) {
  const double wv[3] = {-1, 2, 3}, xv[3] = {4, 5, 6};
  mien_tensor *w = vec(3, wv, MIEN_FLOAT32, true), *x = vec(3, xv, MIEN_FLOAT64, true);
  mien_tensor *r = mien_unary(MIEN_RELU, w);
  mien_tensor *p = mien_binary(MIEN_MUL, r, x);
  mien_tensor *y = sum_all(p);
  EXPECT(p->dtype == MIEN_FLOAT64, "float32 * float64 is float64");
  EXPECT(mien_backward(y, NULL, true) == 0, "backward");
  EXPECT(w->grad && w->grad->dtype == MIEN_FLOAT32, "w.grad is float32");
  EXPECT(x->grad && x->grad->dtype == MIEN_FLOAT64, "x.grad is float64");
  EXPECT(w->grad && el(w->grad, 0) == 0 && el(w->grad, 1) == 5 && el(w->grad, 2) == 6, "w.grad values");
  EXPECT(x->grad && el(x->grad, 0) == 0 && el(x->grad, 1) == 2 && el(x->grad, 2) == 3, "x.grad values");
  EXPECT(mien_backward(y, NULL, false) == 0, "a second backward accumulates: %s", mien_last_error());
  EXPECT(w->grad && el(w->grad, 2) == 12, "accumulated w.grad");
  mien_tensor *ts[] = {w, x, r, p, y};
  for (int k = 0; k < 5; k++) mien_release(ts[k]);
}

static void test_no_grad_and_detach(void) {
  const double xv[2] = {1, 2};
  mien_tensor *x = vec(2, xv, MIEN_FLOAT64, true);
  bool was = mien_set_grad_enabled(false);
  EXPECT(was && !mien_grad_enabled(), "grad mode off");
  mien_tensor *y = mien_binary(MIEN_MUL, x, x);
  EXPECT(y->grad_fn == NULL && !y->requires_grad, "no graph under no_grad");
  mien_set_grad_enabled(was);
  mien_tensor *d = mien_detach(x);
  EXPECT(d->storage == x->storage && !d->requires_grad && d->grad_fn == NULL, "detach shares storage, no history");
  mien_tensor *z = sum_all(y);
  EXPECT(mien_backward(z, NULL, false) == -1 && strstr(mien_last_error(), "backward"), "backward without grad fails");
  mien_release(x);
  mien_release(y);
  mien_release(d);
  mien_release(z);
}

/* A graph is released with its last tensor, without backward too, and a
 * conv/pool/batch-norm/loss graph leaves nothing behind. */
static void test_release(void) {
  int64_t xs[4] = {2, 3, 6, 6}, ws[4] = {4, 3, 3, 3}, c4 = 4, n2 = 2;
  mien_tensor *x = mien_randn(4, xs, MIEN_FLOAT32, MIEN_HOST);
  mien_tensor *w = mien_randn(4, ws, MIEN_FLOAT32, MIEN_HOST);
  mien_tensor *gamma = mien_full(1, &c4, 1, MIEN_FLOAT32, MIEN_HOST);
  w->requires_grad = gamma->requires_grad = true;
  mien_tensor *rm = mien_zeros(1, &c4, MIEN_FLOAT32, MIEN_HOST), *rv = mien_full(1, &c4, 1, MIEN_FLOAT32, MIEN_HOST);
  mien_conv2d_opts co = {{1, 1}, {1, 1}, {1, 1}, 1};
  mien_pool2d_opts po = {{2, 2}, {2, 2}, {0, 0}, false, true};
  mien_tensor *h1 = mien_conv2d(x, w, NULL, &co);
  mien_tensor *h2 = mien_batch_norm(h1, rm, rv, gamma, NULL, true, 0.1, 1e-5);
  mien_tensor *h3 = mien_max_pool2d(h2, &po);
  mien_tensor *h4 = mien_global_avg_pool2d(h3);
  mien_tensor *labels = mien_zeros(1, &n2, MIEN_INT64, MIEN_HOST);
  mien_tensor *loss = mien_cross_entropy(h4, labels, NULL, 0.1, MIEN_REDUCE_MEAN);
  EXPECT(loss && loss->requires_grad, "loss: %s", mien_last_error());
  /* drop the intermediates first: the graph keeps what backward needs */
  mien_tensor *mid[] = {h1, h2, h3, h4};
  for (int k = 0; k < 4; k++) mien_release(mid[k]);
  EXPECT(mien_backward(loss, NULL, false) == 0, "backward: %s", mien_last_error());
  EXPECT(w->grad && gamma->grad, "parameter gradients");
  mien_release(loss);
  /* a graph that never ran backward */
  mien_tensor *u = mien_binary(MIEN_MUL, w, w);
  mien_tensor *v = mien_unary(MIEN_TANH, u);
  mien_release(u);
  mien_tensor *s = sum_all(v);
  mien_release(v);
  mien_release(s);
  mien_tensor *rest[] = {x, w, gamma, rm, rv, labels};
  for (int k = 0; k < 6; k++) mien_release(rest[k]);
}

/* A long chain whose history runs through the second input of each op. The
 * release must not recurse once per link: run it on a small stack. */
#define CHAIN 20000
static void *release_chain(void *arg) {
  mien_release((mien_tensor *)arg);
  return NULL;
}

static void test_deep_chain_release(void) {
  const double xv[1] = {1};
  mien_tensor *x = vec(1, xv, MIEN_FLOAT64, true);
  mien_tensor *y = mien_binary_scalar(MIEN_MUL, x, 1, false);
  for (int k = 0; k < CHAIN; k++) {
    mien_tensor *step = mien_binary_scalar(MIEN_MUL, x, 1, false);
    mien_tensor *next = mien_binary(MIEN_ADD, step, y);
    mien_release(step);
    mien_release(y);
    y = next;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t th;
  if (pthread_create(&th, &attr, release_chain, y) == 0) {
    pthread_join(th, NULL);
  } else {
    EXPECT(0, "cannot start a thread");
    mien_release(y);
  }
  pthread_attr_destroy(&attr);
  mien_release(x);
}

/* backward through a long chain of first inputs, then release */
static void test_deep_chain_backward(void) {
  const double xv[1] = {2};
  mien_tensor *x = vec(1, xv, MIEN_FLOAT64, true);
  mien_tensor *y = mien_retain(x);
  for (int k = 0; k < 3000; k++) {
    mien_tensor *next = mien_binary_scalar(MIEN_ADD, y, 1, false);
    mien_release(y);
    y = next;
  }
  mien_tensor *s = sum_all(y);
  EXPECT(mien_backward(s, NULL, false) == 0 && near(el(x->grad, 0), 1), "deep chain backward");
  mien_release(y);
  mien_release(s);
  mien_release(x);
}

int main(void) {
  test_small_graph();
  test_accumulation_and_retain();
  test_shared_gradients();
  test_wide_fan_in();
  test_mixed_dtypes();
  test_no_grad_and_detach();
  test_release();
  test_deep_chain_release();
  test_deep_chain_backward();
  EXPECT(mien_live_tensors() == 0, "%lld tensors leaked", (long long)mien_live_tensors());
  EXPECT(mien_storage_bytes_in_use(MIEN_HOST) == 0, "%zu bytes leaked", mien_storage_bytes_in_use(MIEN_HOST));
  return check_exit("test_autograd");
}
